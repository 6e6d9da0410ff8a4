// Delivery modes, shared by the relay and the VS Code extension (plain Node).
export { buildOutputSubmission, validateArtifacts, OutputLimitError, DEFAULT_INLINE_LIMIT } from './output';
export type { OutputInput, OutputFile, OutputFileKind } from './output';
export { prepareWorkspace, findWorkspace, workspaceDir, branchFor, WorkspaceError } from './workspace';
export type { PrepareOptions, WorkspaceStep } from './workspace';
export { diffAgainstBase } from './diff';
export type { ChangedFile, WorkspaceDiff } from './diff';
export { commitAndPush, pushResultOutput, PushError } from './push';
export type { PushResult, PushStep, CommitAndPushOptions } from './push';
export { apiBaseFor, repoSlug, checkPushAccess, ensurePullRequest } from './github';
export type { PushAccess, PullRequestRef, RepoSlug } from './github';
export { DEFAULT_AUTHOR } from './git-env';
export type { GitIdentity } from './git-env';
