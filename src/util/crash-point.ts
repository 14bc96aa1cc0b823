// Named points where the crash tests kill the agent (SIGKILL, like a power cut) to prove that
// every step is journaled before the next one. Inert unless FRAMEIO_AGENT_CRASH_AT names the point.
const wanted = process.env.FRAMEIO_AGENT_CRASH_AT;

export type CrashPoint = 'after-create' | 'after-part' | 'after-uploaded' | 'before-move' | 'after-move';

export function crashPoint(name: CrashPoint): void {
  if (wanted === name) process.kill(process.pid, 'SIGKILL');
}
