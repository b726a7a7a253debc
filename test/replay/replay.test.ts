import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowsPath } from '../helpers/temporal';

const historiesDir = path.join(__dirname, 'histories');
const histories = readdirSync(historiesDir).filter((file) => file.endsWith('.json'));

describe('recorded workflow histories', () => {
  it('include one history of every workflow the worker registers', async () => {
    const workflows = Object.keys(await import('../../workflows'));
    const recorded = histories.map((file) => file.replace(/(-\d+)?\.json$/, ''));
    expect(workflows.map((name) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)).filter((name) => !recorded.includes(name))).toEqual([]);
  });

  it.each(histories)('%s replays against the current workflow code without nondeterminism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowsPath }, history, file)).resolves.toBeUndefined();
  });
});
