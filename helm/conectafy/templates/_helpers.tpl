{{/* The chart name, overridable. */}}
{{- define "conectafy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object name: the release name, plus the chart name unless it already has it. */}}
{{- define "conectafy.fullname" -}}
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

{{- define "conectafy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object; call with (dict "ctx" $ "component" "operator"). */}}
{{- define "conectafy.labels" -}}
helm.sh/chart: {{ include "conectafy.chart" .ctx }}
{{ include "conectafy.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: conectafy
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/* The labels a Service/Deployment selects on; call with (dict "ctx" $ "component" "api"). */}}
{{- define "conectafy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "conectafy.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The Conectafy image, with the tag pinned to appVersion unless set. */}}
{{- define "conectafy.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Resources: explicit ones win over the named preset; call with (dict "ctx" $ "component" .Values.api). */}}
{{- define "conectafy.resources" -}}
{{- if .component.resources }}
{{- toYaml .component.resources }}
{{- else }}
{{- toYaml (get .ctx.Values.resourcePresets .component.resourcesPreset) }}
{{- end }}
{{- end }}

{{- define "conectafy.operator.serviceAccountName" -}}
{{- printf "%s-operator" (include "conectafy.fullname" .) }}
{{- end }}

{{- define "conectafy.api.serviceAccountName" -}}
{{- printf "%s-api" (include "conectafy.fullname" .) }}
{{- end }}

{{- define "conectafy.api.serviceName" -}}
{{- printf "%s-api" (include "conectafy.fullname" .) }}
{{- end }}

{{- define "conectafy.postgresql.name" -}}
{{- printf "%s-postgresql" (include "conectafy.fullname" .) }}
{{- end }}

{{/* Namespaces the operator watches (one per line) when it does not watch all of them. */}}
{{- define "conectafy.watchedNamespaces" -}}
{{- if .Values.operator.namespaces }}
{{- range .Values.operator.namespaces }}
{{ . }}
{{- end }}
{{- else }}
{{ .Release.Namespace }}
{{- end }}
{{- end }}

{{- define "conectafy.sessionsNamespace" -}}
{{- default .Release.Namespace .Values.api.sessionsNamespace }}
{{- end }}

{{- define "conectafy.supabase.enabled" -}}
{{- if or .Values.supabase.url .Values.supabase.existingSecret }}true{{ end }}
{{- end }}

{{- define "conectafy.externalDatabase.enabled" -}}
{{- if or .Values.externalDatabase.url .Values.externalDatabase.existingSecret }}true{{ end }}
{{- end }}

{{/* The bundled PostgreSQL runs only when no other database is configured. */}}
{{- define "conectafy.postgresql.enabled" -}}
{{- if not (or (include "conectafy.supabase.enabled" .) (include "conectafy.externalDatabase.enabled" .)) }}true{{ end }}
{{- end }}

{{- define "conectafy.supabase.secretName" -}}
{{- default (printf "%s-supabase" (include "conectafy.fullname" .)) .Values.supabase.existingSecret }}
{{- end }}

{{- define "conectafy.s3.enabled" -}}
{{- if or .Values.s3.bucket .Values.s3.existingSecret }}true{{ end }}
{{- end }}

{{- define "conectafy.s3.secretName" -}}
{{- default (printf "%s-s3" (include "conectafy.fullname" .)) .Values.s3.existingSecret }}
{{- end }}

{{/* The EnvVar that gives the API its database URL, from whichever Secret holds it. */}}
{{- define "conectafy.databaseUrlEnv" -}}
- name: CONECTAFY_DATABASE_URL
  valueFrom:
    secretKeyRef:
{{- if include "conectafy.supabase.enabled" . }}
      name: {{ include "conectafy.supabase.secretName" . }}
      key: databaseUrl
{{- else if .Values.externalDatabase.existingSecret }}
      name: {{ .Values.externalDatabase.existingSecret }}
      key: {{ .Values.externalDatabase.existingSecretKey }}
{{- else if .Values.externalDatabase.url }}
      name: {{ printf "%s-database" (include "conectafy.fullname" .) }}
      key: url
{{- else }}
      name: {{ include "conectafy.postgresql.name" . }}
      key: url
{{- end }}
{{- end }}

{{/* Pod anti-affinity that spreads a component's replicas over nodes when it can. */}}
{{- define "conectafy.spreadAffinity" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "conectafy.selectorLabels" . | nindent 12 }}
{{- end }}

{{/* The restricted pod security context every Conectafy container runs with. */}}
{{- define "conectafy.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The Secret holding the session key master (shared by the operator and the API). */}}
{{- define "conectafy.sessionKeys.secretName" -}}
{{- printf "%s-session-keys" (include "conectafy.fullname" .) }}
{{- end }}

{{/* CONECTAFY_SESSION_KEY_MASTER from that Secret: the kubelet mounts it, no ServiceAccount reads it. */}}
{{- define "conectafy.sessionKeys.env" -}}
- name: CONECTAFY_SESSION_KEY_MASTER
  valueFrom:
    secretKeyRef:
      name: {{ include "conectafy.sessionKeys.secretName" . }}
      key: master
{{- end }}
