{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "callrec-auth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release name alone when it already contains the chart name. */}}
{{- define "callrec-auth.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Admin Service name (the fullname leaves room for the suffix). */}}
{{- define "callrec-auth.adminName" -}}
{{- printf "%s-admin" (include "callrec-auth.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "callrec-auth.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "callrec-auth.labels" -}}
helm.sh/chart: {{ include "callrec-auth.chart" . }}
{{ include "callrec-auth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: callrec-auth
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Name and instance; combined with a component label to select pods. */}}
{{- define "callrec-auth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "callrec-auth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The server pods (Deployment). Migration Job pods carry component=migrate and are never selected. */}}
{{- define "callrec-auth.serverSelectorLabels" -}}
{{ include "callrec-auth.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "callrec-auth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "callrec-auth.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "callrec-auth.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret the pods read: existingSecret, or the one this chart creates. */}}
{{- define "callrec-auth.secretName" -}}
{{- default (include "callrec-auth.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
Non-secret settings as NAME: "value" lines. The ConfigMap holds them for the Deployment; the
migration Job (a pre-install hook, so the ConfigMap does not exist yet) gets them inline.
*/}}
{{- define "callrec-auth.configData" -}}
{{- $c := .Values.config -}}
NODE_ENV: "production"
ISSUER: {{ $c.issuer | quote }}
PORT: {{ $c.port | int64 | toString | quote }}
ADMIN_PORT: {{ $c.adminPort | int64 | toString | quote }}
TRUST_PROXY: {{ $c.trustProxy | toString | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
REDIS_KEY_PREFIX: {{ $c.redisKeyPrefix | quote }}
ADMIN_AUDIENCE: {{ $c.adminAudience | quote }}
MFA_ISSUER: {{ $c.mfaIssuer | quote }}
DATABASE_POOL_MAX: {{ $c.databasePoolMax | int64 | toString | quote }}
PASSWORD_HASH_MEMORY_KIB: {{ $c.passwordHash.memoryKib | int64 | toString | quote }}
PASSWORD_HASH_ITERATIONS: {{ $c.passwordHash.iterations | int64 | toString | quote }}
PASSWORD_HASH_PARALLELISM: {{ $c.passwordHash.parallelism | int64 | toString | quote }}
SESSION_TTL_SECONDS: {{ $c.ttl.sessionSeconds | int64 | toString | quote }}
ACCESS_TOKEN_TTL_SECONDS: {{ $c.ttl.accessTokenSeconds | int64 | toString | quote }}
REFRESH_TOKEN_TTL_SECONDS: {{ $c.ttl.refreshTokenSeconds | int64 | toString | quote }}
SHUTDOWN_GRACE_SECONDS: {{ $c.shutdownGraceSeconds | int64 | toString | quote }}
{{- range $k, $v := $c.extraEnv }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/* Secret keys: env variable name → values key. The first four are required by the app in production. */}}
{{- define "callrec-auth.secretKeys" -}}
DATABASE_URL: databaseUrl
REDIS_URL: redisUrl
KEY_ENCRYPTION_KEY: keyEncryptionKey
COOKIE_KEYS: cookieKeys
BOOTSTRAP_ADMIN_CLIENT_ID: bootstrapAdminClientId
BOOTSTRAP_ADMIN_CLIENT_SECRET: bootstrapAdminClientSecret
SMTP_URL: smtpUrl
{{- end }}

{{/*
Secret env entries. All are optional at the Kubernetes level on purpose: a missing key then
reaches the app as an unset variable and the process exits at once with
"<NAME>: required when NODE_ENV=production", instead of the pod hanging in
CreateContainerConfigError (which would stall the pre-install hook until its deadline).
*/}}
{{- define "callrec-auth.secretEnv" -}}
{{- $secretName := include "callrec-auth.secretName" . }}
{{- range $envName, $_ := include "callrec-auth.secretKeys" . | fromYaml }}
- name: {{ $envName }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ $envName }}
      optional: true
{{- end }}
{{- end }}

{{/* Fails the render on contradictory values (values.schema.json cannot express these). */}}
{{- define "callrec-auth.validate" -}}
{{- $s := .Values.secrets }}
{{- if .Values.existingSecret }}
{{- range $envName, $key := include "callrec-auth.secretKeys" . | fromYaml }}
{{- if index $s $key }}
{{- fail (printf "secrets.%s is set together with existingSecret %q: put %s into that Secret instead" $key $.Values.existingSecret $envName) }}
{{- end }}
{{- end }}
{{- end }}
{{- if ne (empty $s.bootstrapAdminClientId) (empty $s.bootstrapAdminClientSecret) }}
{{- fail "secrets.bootstrapAdminClientId and secrets.bootstrapAdminClientSecret: set both or neither" }}
{{- end }}
{{- if eq (int .Values.config.port) (int .Values.config.adminPort) }}
{{- fail "config.adminPort must differ from config.port" }}
{{- end }}
{{- if and (not (kindIs "invalid" .Values.terminationGracePeriodSeconds)) (lt (int .Values.terminationGracePeriodSeconds) (add (int .Values.config.shutdownGraceSeconds) 5 | int)) }}
{{- fail (printf "terminationGracePeriodSeconds must be at least config.shutdownGraceSeconds + 5 (%d)" (add (int .Values.config.shutdownGraceSeconds) 5)) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "autoscaling.maxReplicas must be at least autoscaling.minReplicas" }}
{{- end }}
{{- end }}

{{- define "callrec-auth.terminationGracePeriodSeconds" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add (int .Values.config.shutdownGraceSeconds) 10 }}
{{- else }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/* Volumes and mounts shared by the server pods and the migration Job. */}}
{{- define "callrec-auth.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- end }}

{{- define "callrec-auth.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* k=v,k2=v2 for messages. */}}
{{- define "callrec-auth.labelList" -}}
{{- $parts := list }}
{{- range $k, $v := . }}
{{- $parts = append $parts (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $parts }}
{{- end }}
