// phased's custom search attributes: what the Temporal UI lists and filters
// deploys by. Registered on the embedded server at start, and checked (added
// if missing) on an existing cluster.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DeployCluster = defineSearchAttributeKey('DeployCluster', SearchAttributeType.KEYWORD);
export const DeployRevision = defineSearchAttributeKey(
  'DeployRevision',
  SearchAttributeType.KEYWORD,
);
export const DeployPhase = defineSearchAttributeKey('DeployPhase', SearchAttributeType.KEYWORD);
export const DeployOutcome = defineSearchAttributeKey('DeployOutcome', SearchAttributeType.KEYWORD);
export const DeployOperator = defineSearchAttributeKey(
  'DeployOperator',
  SearchAttributeType.KEYWORD,
);

export const phasedSearchAttributes = [
  DeployCluster,
  DeployRevision,
  DeployPhase,
  DeployOutcome,
  DeployOperator,
] as const;
