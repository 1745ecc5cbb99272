{{/* Chart name. */}}
{{- define "cdp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name prefix of every object, truncated so "<fullname>-<service>" stays <= 63. */}}
{{- define "cdp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cdp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "cdp.labels" -}}
helm.sh/chart: {{ include "cdp.chart" . }}
app.kubernetes.io/name: {{ include "cdp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cdp
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of the release (all services). */}}
{{- define "cdp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cdp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of one service: dict "root" $ "name" <service>. */}}
{{- define "cdp.componentLabels" -}}
{{ include "cdp.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "cdp.componentSelectorLabels" -}}
{{ include "cdp.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Object name of one service: dict "root" $ "name" <service>. */}}
{{- define "cdp.componentName" -}}
{{- printf "%s-%s" (include "cdp.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cdp.commonAnnotations" -}}
{{- with .Values.commonAnnotations }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{- define "cdp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cdp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cdp.configMapName" -}}
{{- printf "%s-config" (include "cdp.fullname" .) -}}
{{- end -}}

{{- define "cdp.secretName" -}}
{{- printf "%s-secrets" (include "cdp.fullname" .) -}}
{{- end -}}

{{/*
Values of one service: `defaults` deep-merged with `services.<name>` (YAML; use with fromYaml).
mustMergeOverwrite keeps explicit false/0 from the service entry.
*/}}
{{- define "cdp.serviceValues" -}}
{{- $svc := index .root.Values.services .name | default dict -}}
{{- toYaml (mustMergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $svc)) -}}
{{- end -}}

{{/* Image reference: dict "root" $ "image" <per-service image overrides>. */}}
{{- define "cdp.image" -}}
{{- $img := mustMergeOverwrite (deepCopy .root.Values.image) (deepCopy (.image | default dict)) -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (toString (default .root.Chart.AppVersion $img.tag)) -}}
{{- end -}}
{{- end -}}

{{- define "cdp.imagePullPolicy" -}}
{{- $img := mustMergeOverwrite (deepCopy .root.Values.image) (deepCopy (.image | default dict)) -}}
{{- $img.pullPolicy -}}
{{- end -}}

{{/* Fails on values that only make sense for local runs. */}}
{{- define "cdp.validate" -}}
{{- if not .Values.clickhouse.existingSecret -}}
{{- $ch := .Values.clickhouse.url | default "" | trim -}}
{{- if hasPrefix "chdb:" (lower $ch) -}}
{{- fail (printf "clickhouse.url=%q: the embedded ClickHouse engine (chdb://) is for local runs only; production needs a ClickHouse server over http(s)://" $ch) -}}
{{- end -}}
{{- if not (regexMatch "^https?://" (lower $ch)) -}}
{{- fail (printf "clickhouse.url=%q: expected http:// or https:// (a ClickHouse server), or set clickhouse.existingSecret" $ch) -}}
{{- end -}}
{{- end -}}
{{- if and (not .Values.postgres.existingSecret) (not .Values.postgres.url) -}}
{{- fail "postgres.url or postgres.existingSecret is required" -}}
{{- end -}}
{{- if or .Values.keda.streamPrefix .Values.keda.consumerPrefix -}}
{{- fail "keda.streamPrefix / keda.consumerPrefix were removed: trigger streams now get the `<config.natsNamespace>_` prefix automatically (as libs/messaging does) and durable consumer names are not prefixed; unset both" -}}
{{- end -}}
{{- $ingestionDeployments := 0 -}}
{{- $writers := 0 -}}
{{- range $name, $_ := .Values.services -}}
{{- $svc := include "cdp.serviceValues" (dict "root" $ "name" $name) | fromYaml -}}
{{- if and $svc.enabled (or (and (eq $name "ingestion") (not $svc.command)) (contains "services/ingestion/dist/src/main.js" (join " " ($svc.command | default list)))) -}}
{{- $ingestionDeployments = add1 $ingestionDeployments -}}
{{- $roles := index ($svc.env | default dict) "INGESTION_ROLES" -}}
{{- /* unset = the service default api,writer; a valueFrom the chart cannot see counts as a writer */ -}}
{{- if or (kindIs "invalid" $roles) (kindIs "map" $roles) (regexMatch "(^|,)\\s*writer\\s*(,|$)" (toString $roles)) -}}
{{- $writers = add1 $writers -}}
{{- end -}}
{{- end -}}
{{- if not (regexMatch "^[a-z][a-z0-9-]*$" $name) -}}
{{- fail (printf "services.%s: service names must be lower-case DNS labels" $name) -}}
{{- end -}}
{{- if and $svc.enabled $svc.autoscaling.enabled $.Values.keda.enabled $svc.keda.enabled $svc.keda.triggers -}}
{{- fail (printf "services.%s: both autoscaling (HPA) and keda are enabled; KEDA manages its own HPA, enable only one" $name) -}}
{{- end -}}
{{- if and $svc.pdb.enabled (hasKey $svc.pdb "minAvailable") (hasKey $svc.pdb "maxUnavailable") (not (kindIs "invalid" $svc.pdb.minAvailable)) (not (kindIs "invalid" $svc.pdb.maxUnavailable)) -}}
{{- fail (printf "services.%s.pdb: set only one of minAvailable / maxUnavailable (set the other to null)" $name) -}}
{{- end -}}
{{- end -}}
{{- if and $ingestionDeployments (not $writers) -}}
{{- fail "no Deployment runs the ingestion event writer (INGESTION_ROLES containing writer): accepted events would never reach ClickHouse. Enable services.event-writer, or set services.ingestion.env.INGESTION_ROLES=api,writer" -}}
{{- end -}}
{{- end -}}

{{/*
JetStream stream name as libs/messaging's Namespace.stream builds it: `EVENTS`, or `<ns>_EVENTS`
when config.natsNamespace is set: dict "root" $ "stream" <un-namespaced name>.
Durable consumer names are never namespaced.
*/}}
{{- define "cdp.natsStream" -}}
{{- $ns := .root.Values.config.natsNamespace | default "" -}}
{{- if $ns -}}{{ printf "%s_%s" $ns .stream }}{{- else -}}{{ .stream }}{{- end -}}
{{- end -}}

{{/* Whether a service is scaled by an HPA or KEDA: dict "root" $ "svc" <values>. Returns "true" or "". */}}
{{- define "cdp.autoscaled" -}}
{{- if or .svc.autoscaling.enabled (and .root.Values.keda.enabled .svc.keda.enabled .svc.keda.triggers) -}}true{{- end -}}
{{- end -}}

{{/* Environment of one service as a YAML map NAME -> EnvVar body: dict "root" $ "name" <service> "svc" <values>. */}}
{{- define "cdp.envMap" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $cm := include "cdp.configMapName" $root -}}
{{- $env := dict -}}
{{- range $key := list "LOG_LEVEL" "NATS_URL" "NATS_NAMESPACE" "SHUTDOWN_TIMEOUT_MS" -}}
{{- $_ := set $env $key (dict "valueFrom" (dict "configMapKeyRef" (dict "name" $cm "key" $key))) -}}
{{- end -}}
{{- if $root.Values.config.otelExporterOtlpEndpoint -}}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" (dict "valueFrom" (dict "configMapKeyRef" (dict "name" $cm "key" "OTEL_EXPORTER_OTLP_ENDPOINT"))) -}}
{{- end -}}
{{- range $key, $_ := $root.Values.config.env -}}
{{- $_ := set $env $key (dict "valueFrom" (dict "configMapKeyRef" (dict "name" $cm "key" $key))) -}}
{{- end -}}
{{- $_ := set $env "OTEL_SERVICE_NAME" (dict "value" (printf "cdp-%s" .name)) -}}
{{- $_ := set $env "CDP_SERVICE" (dict "value" .name) -}}
{{- $_ := set $env "PORT" (dict "value" (toString $svc.port)) -}}
{{- $pg := $root.Values.postgres -}}
{{- $_ := set $env "DATABASE_URL" (dict "valueFrom" (dict "secretKeyRef" (dict "name" (default (include "cdp.secretName" $root) $pg.existingSecret) "key" (ternary $pg.existingSecretKey "DATABASE_URL" (not (empty $pg.existingSecret)))))) -}}
{{- if $svc.clickhouse -}}
{{- $ch := $root.Values.clickhouse -}}
{{- $_ := set $env "CLICKHOUSE_URL" (dict "valueFrom" (dict "secretKeyRef" (dict "name" (default (include "cdp.secretName" $root) $ch.existingSecret) "key" (ternary $ch.existingSecretKey "CLICKHOUSE_URL" (not (empty $ch.existingSecret)))))) -}}
{{- end -}}
{{- range $key, $value := $svc.env -}}
{{- if kindIs "map" $value -}}
{{- $_ := set $env $key $value -}}
{{- else if not (kindIs "invalid" $value) -}}
{{- $_ := set $env $key (dict "value" (toString $value)) -}}
{{- end -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/* Renders an env map (from cdp.envMap) as an EnvVar list, sorted by name. */}}
{{- define "cdp.envList" -}}
{{- range $key, $body := . }}
- name: {{ $key }}
{{- toYaml $body | nindent 2 }}
{{- end }}
{{- end -}}
