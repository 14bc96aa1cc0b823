// Moved to test/helpers/clock.ts with the other test clocks; kept so existing imports work.
export { InstantClock } from '../../helpers/clock.js';
