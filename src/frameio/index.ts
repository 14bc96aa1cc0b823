// The Frame.io V4 client's public surface.
export { FrameioClient, createFrameioClient } from './client.js';
export type { FrameioClientOptions, CallOptions, LocalUploadInput, RemoteUploadInput } from './client.js';
export { staticTokenAuth, clientCredentialsAuth, renewalTime, DEFAULT_SCOPE } from './auth.js';
export type { AuthProvider, ClientCredentialsOptions } from './auth.js';
export type { ApiObserver, ApiExchange } from './observer.js';
export { FolderResolver } from './folders.js';
export type { FolderApi, FolderResolverOptions } from './folders.js';
export { DEFAULT_FOLDER_CACHE } from './folder-cache.js';
export type { FolderCacheOptions } from './folder-cache.js';
export { paginate, collect, resolveNextUrl } from './pagination.js';
export { HttpTransport, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS } from './http.js';
export type { HttpOptions, HttpRequest, HttpResponse } from './http.js';
export { RateLimiter, PaceState, DOCUMENTED_LIMITS, PACE_FRACTION, rateLimitWaitMs, parseRateHeaders } from './ratelimit.js';
export type { EndpointKey, RateFigure, PaceSnapshot, Slot } from './ratelimit.js';
export * from './errors.js';
export type * from './types.js';
