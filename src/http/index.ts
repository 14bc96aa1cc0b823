export { startHttpSurface, type HttpSurface, type HttpSurfaceOptions } from './server.js';
export { pauseGateControls, ControlUnsupported, type AgentControls } from './controls.js';
export { listenProblem, parseListen, isLoopbackHost } from './auth.js';
