{{/*
Chart name, limited to the 63 characters of a DNS label.
*/}}
{{- define "leapfrog.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: "<release>-<chart>", or the release name alone when it already holds the chart
name. Kept to 53 characters so that the longest suffix ("-allocator") still fits in 63.
*/}}
{{- define "leapfrog.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 53 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 53 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 53 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version for the helm.sh/chart label.
*/}}
{{- define "leapfrog.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the pods of one component; pass a dict with "ctx" (the root context) and "component".
*/}}
{{- define "leapfrog.selectorLabels" -}}
app.kubernetes.io/name: {{ include "leapfrog.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/*
Labels of every object; pass a dict with "ctx" and, optionally, "component".
*/}}
{{- define "leapfrog.labels" -}}
helm.sh/chart: {{ include "leapfrog.chart" .ctx }}
{{ include "leapfrog.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: leapfrog
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Image reference; an empty tag means the chart's appVersion.
*/}}
{{- define "leapfrog.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Name of the Fleet of race servers; the allocator's --fleet.
*/}}
{{- define "leapfrog.fleetName" -}}
{{- printf "%s-race" (include "leapfrog.fullname" .) }}
{{- end }}

{{/*
Name of the allocator's Deployment and Service.
*/}}
{{- define "leapfrog.allocatorName" -}}
{{- printf "%s-allocator" (include "leapfrog.fullname" .) }}
{{- end }}

{{/*
Name of the edge's Deployment, Service and ServiceAccount (unless edge.serviceAccount.name).
*/}}
{{- define "leapfrog.edgeName" -}}
{{- printf "%s-edge" (include "leapfrog.fullname" .) }}
{{- end }}

{{/*
The base URL the allocator hands out as the prefix of ws_url (--edge-url).
*/}}
{{- define "leapfrog.edgeURL" -}}
{{- default (printf "wss://%s" .Values.edge.host) .Values.edge.publicURL }}
{{- end }}

{{/*
Name of the allocator's ServiceAccount.
*/}}
{{- define "leapfrog.serviceAccountName" -}}
{{- if .Values.allocator.serviceAccount.create }}
{{- default (include "leapfrog.allocatorName" .) .Values.allocator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.allocator.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding keys.json.
*/}}
{{- define "leapfrog.keysSecretName" -}}
{{- default (printf "%s-keys" (include "leapfrog.fullname" .)) .Values.keys.existingSecret }}
{{- end }}

{{/*
Where both binaries find the key file (docs/contracts.md: /etc/leapfrog/keys/keys.json).
*/}}
{{- define "leapfrog.keysDir" -}}
/etc/leapfrog/keys
{{- end }}

{{/*
The key volume of a pod spec.
*/}}
{{- define "leapfrog.keysVolume" -}}
- name: keys
  secret:
    secretName: {{ include "leapfrog.keysSecretName" . }}
    defaultMode: 0440
    items:
      - key: keys.json
        path: keys.json
{{- end }}

{{/*
The key volume mount of a container.
*/}}
{{- define "leapfrog.keysVolumeMount" -}}
- name: keys
  mountPath: {{ include "leapfrog.keysDir" . }}
  readOnly: true
{{- end }}

{{/*
Pod termination grace: the race server's drain plus a margin, so the drain always finishes before SIGKILL.
*/}}
{{- define "leapfrog.terminationGracePeriodSeconds" -}}
{{- add .Values.race.drainGraceSeconds .Values.race.terminationGraceMarginSeconds }}
{{- end }}

{{/*
"true" when race servers host many races each (docs/high-density.md), empty otherwise.
*/}}
{{- define "leapfrog.highDensity" -}}
{{- if gt (int .Values.fleet.racesPerServer) 1 }}true{{ end }}
{{- end }}

{{/*
The FleetAutoscaler's policy: autoscaler.policy, or when empty List on free races with high density (leased
GameServers are Allocated: Buffer would count none of their room) and Buffer with one race per server.
*/}}
{{- define "leapfrog.autoscalerPolicy" -}}
{{- if .Values.autoscaler.policy }}{{ .Values.autoscaler.policy }}{{ else if include "leapfrog.highDensity" . }}List{{ else }}Buffer{{ end }}
{{- end }}

{{/*
Combinations the schema cannot express; each fails with one clear message.
*/}}
{{- define "leapfrog.validate" -}}
{{- $policy := include "leapfrog.autoscalerPolicy" . }}
{{- $b := .Values.autoscaler.buffer }}
{{- if and .Values.autoscaler.enabled (eq $policy "Buffer") (gt (int $b.minReplicas) (int $b.maxReplicas)) }}
{{- fail (printf "autoscaler.buffer.minReplicas (%v) must not exceed autoscaler.buffer.maxReplicas (%v)" $b.minReplicas $b.maxReplicas) }}
{{- end }}
{{- if and .Values.autoscaler.enabled (eq $policy "Buffer") (not (kindIs "string" $b.bufferSize)) (gt (int $b.bufferSize) (int $b.maxReplicas)) }}
{{- fail (printf "autoscaler.buffer.bufferSize (%v) must not exceed autoscaler.buffer.maxReplicas (%v): the Fleet could never keep that many Ready" $b.bufferSize $b.maxReplicas) }}
{{- end }}
{{- $l := .Values.autoscaler.list }}
{{- if and .Values.autoscaler.enabled (eq $policy "List") (gt (int $l.minCapacity) (int $l.maxCapacity)) }}
{{- fail (printf "autoscaler.list.minCapacity (%v) must not exceed autoscaler.list.maxCapacity (%v)" $l.minCapacity $l.maxCapacity) }}
{{- end }}
{{- if and .Values.autoscaler.enabled (eq $policy "List") (not (kindIs "string" $l.bufferSize)) (gt (int $l.bufferSize) (int $l.maxCapacity)) }}
{{- fail (printf "autoscaler.list.bufferSize (%v) must not exceed autoscaler.list.maxCapacity (%v): the Fleet could never keep that many free" $l.bufferSize $l.maxCapacity) }}
{{- end }}
{{- if and .Values.autoscaler.enabled (eq $policy "List") (include "leapfrog.highDensity" .) (lt (int $l.maxCapacity) (int .Values.fleet.racesPerServer)) }}
{{- fail (printf "autoscaler.list.maxCapacity (%v) counts races: it must hold at least one race server of fleet.racesPerServer (%v) races" $l.maxCapacity .Values.fleet.racesPerServer) }}
{{- end }}
{{- if and (not .Values.race.script.enabled) (gt (int .Values.race.players) 8) }}
{{- fail (printf "race.players (%v) is more than the 8 lanes of Mega Frog Race: a race seats 1 to 8 players (more only with race.script.enabled)" .Values.race.players) }}
{{- end }}
{{- with .Values.race.rules }}
{{- if hasKey . "max-connections" }}
{{- $seats := mul (int $.Values.race.players) (int $.Values.fleet.racesPerServer) }}
{{- if lt (int (index . "max-connections")) $seats }}
{{- fail (printf "race.rules.max-connections (%v) is less than the players of a full race server: race.players (%v) x fleet.racesPerServer (%v) = %v" (index . "max-connections") $.Values.race.players $.Values.fleet.racesPerServer $seats) }}
{{- end }}
{{- end }}
{{- end }}
{{- if include "leapfrog.highDensity" . }}
{{- if and .Values.race.maxRaces (lt (int .Values.race.maxRaces) (int .Values.fleet.racesPerServer)) }}
{{- fail (printf "race.maxRaces (%v) must be 0 (no limit) or at least fleet.racesPerServer (%v): a server would be recycled before it could ever hold its races" .Values.race.maxRaces .Values.fleet.racesPerServer) }}
{{- end }}
{{- if and .Values.race.maxAgeSeconds (le (int .Values.race.maxAgeSeconds) (int .Values.race.leaseTTLSeconds)) }}
{{- fail (printf "race.maxAgeSeconds (%v) must be 0 (no limit) or longer than race.leaseTTLSeconds (%v): a server would be recycled before its first lease could lapse" .Values.race.maxAgeSeconds .Values.race.leaseTTLSeconds) }}
{{- end }}
{{- end }}
{{- if and (eq .Values.fleet.port.policy "Static") (not .Values.fleet.port.hostPort) }}
{{- fail "fleet.port.hostPort is required when fleet.port.policy is Static" }}
{{- end }}
{{- if and .Values.allocator.service.nodePort (eq .Values.allocator.service.type "ClusterIP") }}
{{- fail "allocator.service.nodePort needs allocator.service.type NodePort or LoadBalancer" }}
{{- end }}
{{- if and .Values.allocator.pdb.enabled (ge (int .Values.allocator.pdb.minAvailable) (int .Values.allocator.replicas)) (gt (int .Values.allocator.replicas) 0) }}
{{- fail (printf "allocator.pdb.minAvailable (%v) must be below allocator.replicas (%v), or no node could ever be drained" .Values.allocator.pdb.minAvailable .Values.allocator.replicas) }}
{{- end }}
{{- if and (not .Values.allocator.serviceAccount.create) (not .Values.allocator.serviceAccount.name) }}
{{- fail "allocator.serviceAccount.name is required when allocator.serviceAccount.create is false" }}
{{- end }}
{{- with .Values.race.script }}
{{- $sources := list }}
{{- if .configMap }}{{ $sources = append $sources "race.script.configMap" }}{{ end }}
{{- if .volume }}{{ $sources = append $sources "race.script.volume" }}{{ end }}
{{- if .image.repository }}{{ $sources = append $sources "race.script.image.repository" }}{{ end }}
{{- if and .enabled (eq (len $sources) 0) }}
{{- fail "race.script.enabled needs one source of the script's files: race.script.configMap, race.script.volume or race.script.image.repository" }}
{{- end }}
{{- if gt (len $sources) 1 }}
{{- fail (printf "race.script: set one source of the script's files, not %s" (join " and " $sources)) }}
{{- end }}
{{- end }}
{{- if and .Values.race.tls.hasCA (not .Values.race.tls.existingSecret) }}
{{- fail "race.tls.hasCA needs race.tls.existingSecret" }}
{{- end }}
{{- if and .Values.race.tls.existingSecret (ne .Values.fleet.port.protocol "TCPUDP") }}
{{- fail (printf "race.tls.existingSecret needs fleet.port.protocol TCPUDP (not %s): GameLift Realtime's secure clients send fast messages over DTLS on the game port's UDP number" .Values.fleet.port.protocol) }}
{{- end }}
{{- range $flag := list "listen" "admin-listen" "key-file" "players" "after-race" "drain-grace" "log-level" "game" "script-dir" "launch-path" "script-args" "races-per-server" "lease-ttl" "max-races" "max-age" "tls-cert-file" "tls-key-file" "tls-ca-file" }}
{{- if hasKey $.Values.race.rules $flag }}
{{- fail (printf "race.rules.%s: the chart sets --%s itself; use the race.* or fleet.* value instead" $flag $flag) }}
{{- end }}
{{- end }}
{{- if and (include "leapfrog.highDensity" .) .Values.autoscaler.enabled (ne $policy "List") }}
{{- fail (printf "fleet.racesPerServer %v needs autoscaler.policy List (free races): leased GameServers are Allocated, the Buffer policy would count none of their room" .Values.fleet.racesPerServer) }}
{{- end }}
{{- if and (include "leapfrog.highDensity" .) (le (int .Values.race.leaseTTLSeconds) (mul 2 (int .Values.allocator.lease.renewSeconds))) }}
{{- fail (printf "race.leaseTTLSeconds (%v) must exceed twice allocator.lease.renewSeconds (%v): the allocator stops placing after two missed renewals, the race server must lapse later" .Values.race.leaseTTLSeconds .Values.allocator.lease.renewSeconds) }}
{{- end }}
{{- include "leapfrog.validateEdge" . }}
{{- range $flag := list "backend" "listen" "namespace" "fleet" "port-name" "key-file" "guest-ttl" "session-ttl" "max-places-per-ip" "log-level" "public-address" "edge-url" "races-per-server" "players" "lease-renew" "lease-low-water" "replica-id" }}
{{- if hasKey $.Values.allocator.extraArgs $flag }}
{{- fail (printf "allocator.extraArgs.%s: the chart sets --%s itself; use the allocator.* value instead" $flag $flag) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Edge combinations the schema cannot express.
*/}}
{{- define "leapfrog.validateEdge" -}}
{{- $e := .Values.edge }}
{{- if $e.enabled }}
{{- if not (or $e.host $e.publicURL) }}
{{- fail "edge.host (or edge.publicURL) is required when edge.enabled: it is the name players connect to" }}
{{- end }}
{{- if and $e.ingress.enabled $e.gateway.enabled }}
{{- fail "edge.ingress and edge.gateway both route edge.host: enable one" }}
{{- end }}
{{- if and $e.tls.secretName (or $e.ingress.enabled $e.gateway.enabled) }}
{{- fail "edge.tls.secretName makes the edge terminate TLS; with edge.ingress or edge.gateway TLS ends there: leave it empty" }}
{{- end }}
{{- if and (or $e.ingress.enabled $e.gateway.enabled) (not $e.host) }}
{{- fail "edge.host is required with edge.ingress or edge.gateway: it is the host they route" }}
{{- end }}
{{- if and $e.gateway.enabled (not $e.gateway.parentRefs) }}
{{- fail "edge.gateway.parentRefs is required: the Gateway that terminates TLS for edge.host" }}
{{- end }}
{{- if and $e.pdb.enabled (ge (int $e.pdb.minAvailable) (int $e.replicas)) (gt (int $e.replicas) 0) (not $e.autoscaling.enabled) }}
{{- fail (printf "edge.pdb.minAvailable (%v) must be below edge.replicas (%v), or no node could ever be drained" $e.pdb.minAvailable $e.replicas) }}
{{- end }}
{{- if and $e.autoscaling.enabled (gt (int $e.autoscaling.minReplicas) (int $e.autoscaling.maxReplicas)) }}
{{- fail (printf "edge.autoscaling.minReplicas (%v) must not exceed edge.autoscaling.maxReplicas (%v)" $e.autoscaling.minReplicas $e.autoscaling.maxReplicas) }}
{{- end }}
{{- range $flag := list "listen" "admin-listen" "namespace" "fleet" "port-name" "key-file" "tls-cert-file" "tls-key-file" "log-level" "max-conns-per-ip" "drain-grace" "client-ip-header" }}
{{- if hasKey $e.extraArgs $flag }}
{{- fail (printf "edge.extraArgs.%s: the chart sets --%s itself; use the edge.* value instead" $flag $flag) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The tracing headers as OTEL_EXPORTER_OTLP_HEADERS wants them: key=value pairs, comma-separated, in key
order, each value URL-encoded.
*/}}
{{- define "leapfrog.otlpHeaders" -}}
{{- $pairs := list -}}
{{- range $k, $v := . -}}
{{- $pairs = append $pairs (printf "%s=%s" $k (urlquery $v)) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}
