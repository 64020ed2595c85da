#!/usr/bin/env bash
# The deploy a team writes without phased, the baseline for bench/fleet:
# stage with one rsync per host in parallel (hard links from the previous
# release), then flip every host's current symlink in an ssh loop.
#
#   plain-deploy.sh stage HOSTS_FILE SOURCE REVISION PREVIOUS STATS_DIR
#   plain-deploy.sh flip  HOSTS_FILE REVISION
#
# HOSTS_FILE has one "address port root" line per host. SSH_KEY and
# KNOWN_HOSTS name the deploy key and the known_hosts file, DEPLOY_USER the
# user to log in as.
set -euo pipefail

ssh_opts=(-l "$DEPLOY_USER" -i "$SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes
  -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$KNOWN_HOSTS")

stage() {
  local hosts=$1 source=$2 rev=$3 prev=$4 stats=$5
  local i=0 pids=()
  while read -r address port root; do
    i=$((i + 1))
    rsync -a --delete --stats ${prev:+--link-dest="$root/releases/$prev"} \
      -e "ssh -p $port ${ssh_opts[*]}" \
      "$source/" "$DEPLOY_USER@$address:$root/releases/$rev/" > "$stats/$i.txt" &
    pids+=($!)
  done < "$hosts"
  for pid in "${pids[@]}"; do wait "$pid"; done
}

flip() {
  local hosts=$1 rev=$2
  while read -r address port root; do
    ssh -n -p "$port" "${ssh_opts[@]}" "$address" \
      "ln -sfn releases/$rev $root/current.tmp && mv -T $root/current.tmp $root/current"
  done < "$hosts"
}

"$@"
