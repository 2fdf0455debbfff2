"""A remote store's keys as objects of an S3 bucket (``s3://BUCKET/PREFIX``), with
boto3.

Endpoint, credentials and region are boto3's standard configuration
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, ``~/.aws/config`` ...), so any S3 — AWS, SeaweedFS, MinIO —
is reached the way its other tools reach it.  Head and manifest move by conditional
``PutObject`` (``IfMatch`` / ``IfNoneMatch: *``), which S3 and SeaweedFS honour; the
rest is immutable and read by byte range.

Every failure of the service becomes a RemoteError of one line naming the URL: a
mount answers EIO and the command line exits 1, without a boto3 traceback.
"""

import math
import os
import threading

from .transport import PreconditionFailed, RemoteError, Transport

PUT_WHOLE_BELOW = 64 << 20      # bytes: bigger files go up in parts (upload_file)
PART_SIZE = 16 << 20
POOL = 32                       # connections: a mount reads from many threads

_MISSING = ("NoSuchKey", "404", "NotFound")
_LOST = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class S3Transport(Transport):
    """Keys are objects ``PREFIX/KEY`` of ``bucket``.  One boto3 client, which is
    thread-safe, with a connection pool as wide as a mount's readers."""

    writable = True
    put_whole_below = PUT_WHOLE_BELOW
    part_size = PART_SIZE
    list_page = 1000                # keys per ListObjectsV2 (S3's most)

    def __init__(self, bucket: str, prefix: str = ""):
        super().__init__()
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.label = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._client_lock = threading.Lock()
        self._client = None

    # --- plumbing ---------------------------------------------------------------------
    @property
    def client(self):
        """The boto3 client, made on first use (importing boto3 and reading its
        configuration takes a moment that a command that never reaches the remote
        need not spend)."""
        with self._client_lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self):
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
        config = Config(max_pool_connections=POOL, retries={"mode": "standard"},
                        connect_timeout=10, read_timeout=60,
                        # S3-compatible servers differ on the newer default checksums;
                        # our objects carry their own hashes
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required")
        try:
            return boto3.session.Session().client("s3", config=config)
        except (BotoCoreError, ValueError) as exc:
            raise RemoteError(f"{self.label}: cannot set up S3: {_one_line(exc)}") from None

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
            raise ValueError(f"bad key {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _url(self, key: str = "") -> str:
        return f"{self.label}/{key}" if key else self.label

    def _fail(self, exc: Exception, key: str = "") -> RemoteError:
        """The one-line RemoteError for a boto3 failure of a request about ``key``."""
        from botocore import exceptions as bx
        url = self._url(key)
        if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
            return RemoteError(f"{url}: no S3 credentials: set AWS_ACCESS_KEY_ID and "
                               f"AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a server "
                               f"other than AWS), or configure ~/.aws/credentials")
        if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError,
                            bx.ConnectionError)):
            endpoint = self._client.meta.endpoint_url if self._client else "S3"
            return RemoteError(f"{url}: cannot reach {endpoint}: {_one_line(exc)}")
        if isinstance(exc, bx.ClientError):
            code = _code(exc)
            message = exc.response.get("Error", {}).get("Message") or ""
            if code == "NoSuchBucket":
                return RemoteError(f"{url}: there is no bucket {self.bucket!r}")
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                return RemoteError(f"{url}: access denied ({code}): check the S3 "
                                   f"credentials (AWS_ACCESS_KEY_ID ...)")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            detail = f"{code}: {message}" if message and message != code else code
            return RemoteError(f"{url}: S3 answered {status} {_one_line(detail)}")
        return RemoteError(f"{url}: {_one_line(exc)}")

    def _errors(self):
        from botocore.exceptions import BotoCoreError, ClientError
        return (BotoCoreError, ClientError)

    # --- reading --------------------------------------------------------------------
    def get(self, key):
        return self._get(key, None)

    def get_if_changed(self, key, etag):
        return self._get(key, etag)

    def _get(self, key, etag):
        args = {"Bucket": self.bucket, "Key": self._key(key)}
        if etag is not None:
            args["IfNoneMatch"] = etag
        client = self.client
        try:
            resp = client.get_object(**args)
            data = resp["Body"].read()
        except self._errors() as exc:
            self._count()
            code = _code(exc)
            if code in _MISSING:
                return None
            if code in ("304", "NotModified"):
                return False
            raise self._fail(exc, key) from None
        self._count(bytes_in=len(data))
        got = resp.get("ETag")
        if etag is not None and got == etag:   # a server that ignored If-None-Match
            return False
        return data, got

    def get_range(self, key, start, length):
        if length <= 0:
            return b""
        client = self.client
        try:
            resp = client.get_object(Bucket=self.bucket, Key=self._key(key),
                                     Range=f"bytes={start}-{start + length - 1}")
            data = resp["Body"].read()
        except self._errors() as exc:
            self._count()
            code = _code(exc)
            if code in ("InvalidRange", "416"):
                return b""          # wholly past the end
            if code in _MISSING:
                raise RemoteError(f"{self._url(key)}: no such key") from None
            raise self._fail(exc, key) from None
        self._count(bytes_in=len(data))
        if not resp.get("ContentRange"):   # the whole object: take the slice
            data = data[start:start + length]
        return data

    def size(self, key):
        client = self.client
        try:
            resp = client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as exc:
            self._count()
            if _code(exc) in _MISSING:
                return None
            raise self._fail(exc, key) from None
        self._count()
        return resp["ContentLength"]

    def list(self, prefix):
        base = f"{self.prefix}/" if self.prefix else ""
        client = self.client
        keys = []
        args = {"Bucket": self.bucket, "Prefix": base + prefix, "MaxKeys": self.list_page}
        try:
            while True:
                resp = client.list_objects_v2(**args)
                self._count()
                keys.extend(item["Key"][len(base):] for item in resp.get("Contents", ()))
                if not resp.get("IsTruncated"):
                    break
                args["ContinuationToken"] = resp["NextContinuationToken"]
        except self._errors() as exc:
            self._count()
            raise self._fail(exc, prefix) from None
        return iter(sorted(keys))

    # --- writing --------------------------------------------------------------------
    def put(self, key, data, *, if_match=None, if_none_match=False):
        args = {"Bucket": self.bucket, "Key": self._key(key), "Body": data}
        if if_match is not None:
            args["IfMatch"] = if_match
        if if_none_match:
            args["IfNoneMatch"] = "*"
        client = self.client
        try:
            # (a conditional put retried after a lost answer can find its own write
            # there and fail: the caller reads again, and sees it moved to its value)
            resp = client.put_object(**args)
        except self._errors() as exc:
            self._count()
            if _code(exc) in _LOST:
                raise PreconditionFailed(f"{self._url(key)} was changed by another "
                                         f"writer") from None
            raise self._fail(exc, key) from None
        self._count(bytes_out=len(data))
        return resp["ETag"]

    def put_file(self, key, path):
        """Small files in one request; big ones in parts, concurrently (not
        conditional: what goes up this way is named by its content)."""
        size = os.path.getsize(path)
        if size < self.put_whole_below:
            with open(path, "rb") as f:
                return self.put(key, f.read())
        from boto3.exceptions import Boto3Error
        from boto3.s3.transfer import TransferConfig
        transfer = TransferConfig(multipart_threshold=self.put_whole_below,
                                  multipart_chunksize=self.part_size, max_concurrency=8)
        client = self.client
        try:
            client.upload_file(path, self.bucket, self._key(key), Config=transfer)
            resp = client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as exc:
            self._count()
            raise self._fail(exc, key) from None
        except (Boto3Error, OSError) as exc:     # upload_file's own: S3UploadFailedError
            self._count()
            raise RemoteError(f"{self._url(key)}: {_one_line(exc)}") from None
        with self._stats_lock:      # create, the parts, complete; the head
            self.stats.requests += math.ceil(size / self.part_size) + 3
            self.stats.bytes_out += size
        return resp["ETag"]

    def delete(self, key):
        client = self.client
        try:
            client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors() as exc:
            self._count()
            if _code(exc) in _MISSING:
                return
            raise self._fail(exc, key) from None
        self._count()


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    code = response.get("Error", {}).get("Code")
    if code:
        return str(code)
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(status) if status else ""


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())
