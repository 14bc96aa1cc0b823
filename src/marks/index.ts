export { Marker, hasFrameioMarks, type MarkerOptions } from './marker.js';
export { MetadataBatcher, MAX_IDS_PER_UPDATE, type MetadataBatcherOptions } from './metadata-batcher.js';
export { renderMark, perFilePlaceholders, perFileMetadataNotes, PER_FILE_PLACEHOLDERS, type MarkFacts } from './template.js';
