// Push-mode delivery (src/relay/delivery) as the core uses it.
import type { Logger } from '../../shared/log';
import type { SubmitResultArgs } from '../../shared/tools';
import { commitAndPush, findWorkspace, prepareWorkspace, pushResultOutput } from '../delivery';
import type { PushPlan } from '../types';
import type { PushDelivery } from './ports';

export function pushDelivery(githubApiBase: string | undefined, log: Logger): PushDelivery {
  return {
    prepareWorkspace: ({ root, hiring, onProgress }) =>
      prepareWorkspace(hiring, { root, onProgress, githubApiBase, log }),
    findWorkspace: (root, hiringId) => findWorkspace(hiringId, root),
    commitAndPush: ({ workspace, hiring, plan }) =>
      commitAndPush(workspace, hiring, {
        message: plan.commitMessage,
        openPullRequest: plan.openPullRequest,
        prTitle: plan.commitMessage.split('\n')[0],
        prBody: plan.summary,
        githubApiBase,
        log,
      }),
    resultOutput: (args: SubmitResultArgs, outcome, plan: PushPlan): SubmitResultArgs => {
      const pushed = pushResultOutput(outcome, plan.summary);
      const own = typeof args.output === 'string' ? { summary: args.output } : args.output;
      return { ...args, output: { ...own, ...pushed } };
    },
  };
}
