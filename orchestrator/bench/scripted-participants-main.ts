/**
 * Scripted participants in a process of their own, so that the engine benchmark measures the
 * orchestrator's CPU apart from theirs: `node scripted-participants-main.js <amqp-url>`.
 */
import { ScriptedParticipants } from '../test/support/scripted-participants.js';

const participants = await ScriptedParticipants.start(process.argv[2]!);
process.send?.('ready');
process.once('SIGTERM', () => void participants.stop().then(() => process.exit(0)));
