export { FrameioUploader, uploadParts, type UploaderOptions, type UploadResult, type UploadTarget, type UploaderEvents } from './uploader.js';
export { planParts, urlLabel, type PartPlan } from './plan.js';
export type { RetryInfo } from './send-part.js';
export type { FileFacts } from './file-guard.js';
