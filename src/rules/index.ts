export { route } from './route.js';
export { renderFolderTemplate, folderTemplateProblem, FolderTemplateError, FOLDER_PLACEHOLDERS } from './template.js';
export { createFileFilter, ownIgnoredDirs, watchFileFilter, type FileFilter, type FilterDecision } from './filter.js';
export { DEFAULT_IGNORES, defaultIgnoreFor } from './ignores.js';
export { compileGlob, globProblem } from './glob.js';
export type { FileInfo, RouteResult } from './types.js';
