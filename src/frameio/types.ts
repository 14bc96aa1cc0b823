// Wire types of the Frame.io V4 API, as documented (see ../shared/frameio-v4.md).
// Only the fields the agent reads are typed; the server may send more.

export interface UploadUrl {
  size: number;
  url: string;
}

export interface FileResource {
  id: string;
  name: string;
  type: 'file';
  status: 'created' | 'uploaded' | 'transcoded' | string;
  file_size: number;
  media_type: string;
  parent_id: string;
  project_id: string;
  view_url: string;
  created_at: string;
  updated_at: string;
}

/** Answer of POST .../files/local_upload: the file plus where to PUT its parts. */
export interface LocalUploadFile extends FileResource {
  upload_urls: UploadUrl[];
}

export interface UploadStatus {
  id: string;
  filetype?: string;
  upload_complete: boolean;
  upload_failed: boolean;
  uploaded_at: string | null;
  upload_completed_at: string | null;
}

export interface Account {
  id: string;
  display_name?: string;
  name?: string;
}

export interface Workspace {
  id: string;
  name: string;
  account_id?: string;
}

export interface Project {
  id: string;
  name: string;
  workspace_id?: string;
  root_folder_id: string;
}

export interface Folder {
  id: string;
  name: string;
  type: 'folder';
  parent_id: string | null;
  project_id: string;
}

export type Child = Folder | FileResource | { id: string; name: string; type: 'version_stack' };

export interface VersionStack {
  id: string;
  name: string;
  type: 'version_stack';
  parent_id: string;
}

export interface FieldDefinition {
  id: string;
  name: string;
  field_type: string;
}

export interface Comment {
  id: string;
  text: string;
}

export interface RemoteUpload extends FileResource {}

export interface ListResponse<T> {
  data: T[];
  links?: { next?: string | null };
  total_count?: number;
}

export interface ApiErrorBody {
  errors?: Array<{ title?: string; detail?: string; source?: { pointer?: string } }>;
}
