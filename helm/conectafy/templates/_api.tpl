{{/* The API's (and the migrate init container's) environment: database, Supabase and S3, from Secrets. */}}
{{- define "conectafy.api.env" -}}
{{ include "conectafy.databaseUrlEnv" . }}
- name: CONECTAFY_NAMESPACE
  value: {{ include "conectafy.sessionsNamespace" . | quote }}
- name: CONECTAFY_DATA_DIR
  value: /tmp/conectafy
{{ include "conectafy.sessionKeys.env" . }}
{{- if not (include "conectafy.supabase.enabled" .) }}
- name: CONECTAFY_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "conectafy.fullname" . }}-api
      key: jwtSecret
{{- end }}
{{- if include "conectafy.supabase.enabled" . }}
{{- $secret := include "conectafy.supabase.secretName" . }}
{{- range $env, $key := dict "CONECTAFY_SUPABASE_URL" "url" "CONECTAFY_SUPABASE_ANON_KEY" "anonKey" "CONECTAFY_SUPABASE_SERVICE_KEY" "serviceRoleKey" "CONECTAFY_SUPABASE_JWT_SECRET" "jwtSecret" }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- if include "conectafy.s3.enabled" . }}
- name: CONECTAFY_S3_ENDPOINT
  value: {{ .Values.s3.endpoint | quote }}
- name: CONECTAFY_S3_REGION
  value: {{ .Values.s3.region | quote }}
- name: CONECTAFY_S3_BUCKET
  value: {{ .Values.s3.bucket | quote }}
{{- range $env, $key := dict "CONECTAFY_S3_ACCESS_KEY_ID" "accessKeyId" "CONECTAFY_S3_SECRET_ACCESS_KEY" "secretAccessKey" }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "conectafy.s3.secretName" $ }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end }}

{{/* Combinations of values the schema cannot express; each failure says what to change. */}}
{{- define "conectafy.validateValues" -}}
{{- if and (include "conectafy.supabase.enabled" .) (include "conectafy.externalDatabase.enabled" .) }}
{{- fail "set either supabase or externalDatabase, not both: Supabase already is the database (supabase.databaseUrl)" }}
{{- end }}
{{- if and .Values.supabase.url (not .Values.supabase.existingSecret) (not .Values.supabase.databaseUrl) }}
{{- fail "supabase.url is set but supabase.databaseUrl is empty: copy the project's Postgres connection URL (Settings → Database)" }}
{{- end }}
{{- if and .Values.supabase.url (not .Values.supabase.existingSecret) (not .Values.supabase.jwtSecret) }}
{{- fail "supabase.url is set but supabase.jwtSecret is empty: the API needs it to verify users' tokens" }}
{{- end }}
{{- $sessions := include "conectafy.sessionsNamespace" . }}
{{- if and (not .Values.operator.watchAllNamespaces) (not (has $sessions (include "conectafy.watchedNamespaces" . | trim | splitList "\n"))) }}
{{- fail (printf "api.sessionsNamespace %q is not watched by the operator: add it to operator.namespaces or set operator.watchAllNamespaces" $sessions) }}
{{- end }}
{{- if and .Values.s3.existingSecret (not .Values.s3.bucket) }}
{{- fail "s3.existingSecret is set but s3.bucket is empty: name the bucket" }}
{{- end }}
{{- if and .Values.s3.bucket (not .Values.s3.existingSecret) (not (and .Values.s3.accessKeyId .Values.s3.secretAccessKey)) }}
{{- fail "s3.bucket is set: give s3.accessKeyId and s3.secretAccessKey, or s3.existingSecret" }}
{{- end }}
{{- end }}
