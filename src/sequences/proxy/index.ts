export { ProxyMaker, describeProxy, PROXY_PREFIX, type ProxyMakerOptions, type ProxyPipeline, type ProxyRecord } from './maker.js';
export { derivedWatchName } from './derived-watch.js';
export { findFfmpeg, proxyExtension, proxyPlan, renderProxy, image2Pattern, type ProxyFrame, type ProxyInput, type ProxyPlan } from './ffmpeg.js';
export { proxyAvailability, type ProxyAvailability } from './availability.js';
