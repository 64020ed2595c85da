#!/bin/sh
# The namespace deploys run in, and the search attributes phased records on
# each deploy (DeployCluster, DeployRevision, DeployPhase, DeployOutcome,
# DeployOperator). Safe to run again: what exists is left as it is.
set -eu
ns=${TEMPORAL_NAMESPACE:-default}
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention 30d
for name in DeployCluster DeployRevision DeployPhase DeployOutcome DeployOperator; do
  temporal operator search-attribute create --namespace "$ns" --name "$name" --type Keyword ||
    true # already registered
done
