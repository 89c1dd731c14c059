#!/usr/bin/env bash
# Makes sure the RabbitMQ the tests and the benchmark use answers on AMQP and has its management API,
# through which each test makes a private vhost. On a local broker without the plugin (a fresh
# install has none enabled) it enables it and says so; elsewhere it says what is missing. Then it
# turns on the feature flags quorum queues need (QUEUE_TYPE=quorum dead-letters at least once, which
# RabbitMQ 3.10 allows only with stream_queue enabled).
set -euo pipefail

amqp_url=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
host=$(sed -E 's#^amqps?://([^@/]*@)?([^:/?]+).*#\2#' <<<"$amqp_url")
api=${RABBITMQ_MANAGEMENT_URL:-http://$host:15672}
user=$(sed -nE 's#^amqps?://([^:@/]+)(:[^@/]*)?@.*#\1#p' <<<"$amqp_url"); user=${user:-guest}
pass=$(sed -nE 's#^amqps?://[^:@/]+:([^@/]*)@.*#\1#p' <<<"$amqp_url"); pass=${pass:-guest}

answers() { curl -fsS -o /dev/null -m 3 -u "$user:$pass" "$api/api/overview"; }

# Enables each feature flag that is off, through the management API (no shell on the broker needed).
enable_feature_flags() {
  local flags name
  flags=$(curl -fsS -m 5 -u "$user:$pass" "$api/api/feature-flags") || {
    echo "could not read RabbitMQ's feature flags at $api/api/feature-flags" >&2
    return 1
  }
  for name in quorum_queue stream_queue; do
    if grep -Eq "\"name\":\"$name\",[^}]*\"state\":\"enabled\"|\"state\":\"enabled\",[^}]*\"name\":\"$name\"" <<<"$flags"; then
      continue
    fi
    echo "==> enabling RabbitMQ feature flag $name (quorum queues dead-letter at least once only with it)"
    if ! curl -fsS -o /dev/null -m 30 -u "$user:$pass" -X PUT -H 'content-type: application/json' -d '{}' \
      "$api/api/feature-flags/$name/enable"; then
      echo "could not enable it; run: rabbitmqctl enable_feature_flag $name" >&2
      return 1
    fi
  done
}

if answers 2>/dev/null; then
  enable_feature_flags
  exit
fi

case "$host" in
  127.0.0.1 | localhost | ::1) ;;
  *)
    echo "RabbitMQ's management API does not answer at $api: enable rabbitmq_management on $host," >&2
    echo "or set RABBITMQ_MANAGEMENT_URL to where it is." >&2
    exit 1
    ;;
esac

if ! command -v rabbitmq-plugins >/dev/null 2>&1; then
  echo "RabbitMQ's management API does not answer at $api and rabbitmq-plugins is not on PATH:" >&2
  echo "start RabbitMQ on $host and enable its management plugin (rabbitmq-plugins enable rabbitmq_management)." >&2
  exit 1
fi
echo "==> enabling RabbitMQ's management plugin on the local broker (the tests make a private vhost each through it)"
if ! rabbitmq-plugins enable rabbitmq_management >/dev/null; then
  echo "could not enable it; run: sudo rabbitmq-plugins enable rabbitmq_management" >&2
  exit 1
fi
for _ in $(seq 60); do
  if answers 2>/dev/null; then
    enable_feature_flags
    exit
  fi
  sleep 1
done
echo "RabbitMQ's management API still does not answer at $api after 60 s" >&2
exit 1
