#!/bin/sh
# One-shot (compose service minio-bucket): the documents bucket, private and versioned,
# and NOMAD's own access key, allowed on that bucket only. Safe to run again.
set -eu
mc alias set store http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "store/$S3_BUCKET"
mc anonymous set none "store/$S3_BUCKET"
# A signed contract's PDF is never lost to an overwrite: every version is kept.
mc version enable "store/$S3_BUCKET"
policy=/tmp/nomad-documents-policy.json
cat > "$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::$S3_BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": ["arn:aws:s3:::$S3_BUCKET/*"]}
  ]
}
JSON
mc admin policy create store nomad-documents "$policy"
mc admin user add store "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"
mc admin policy attach store nomad-documents --user "$S3_ACCESS_KEY_ID" 2>/dev/null \
    || echo "policy nomad-documents already attached to $S3_ACCESS_KEY_ID"
