"""The lab storage account's Blob service (drlab.seed's account), for the drill target's report upload: a container
made, a blob read back through the real azure-storage-blob SDK and compared with the file it came from. Runs on the
controller with the lab's environment (dr_asr_lab.environment).

    blob.py container NAME              -> JSON {"url": container URL, "created": bool}
    blob.py compare NAME BLOB FILE      -> JSON {"same": bool, "size", "content_type", "content_md5" (hex)}
"""
import argparse
import json
import sys

from azure.core.exceptions import ResourceExistsError
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient

from drlab import seed
from drlab.settings import get_settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["container", "compare"])
    parser.add_argument("container")
    parser.add_argument("blob", nargs="?")
    parser.add_argument("file", nargs="?")
    args = parser.parse_args()
    settings = get_settings()
    cred = seed.credential(settings)
    account = seed.client(settings, StorageManagementClient, cred).storage_accounts.get_properties(
        seed.RESOURCE_GROUP, seed.STORAGE_ACCOUNT)
    service = BlobServiceClient(account.primary_endpoints.blob, credential=cred, connection_verify=settings.ca_pem)
    container = service.get_container_client(args.container)
    if args.action == "container":
        try:
            container.create_container()
            created = True
        except ResourceExistsError:
            created = False
        out = {"url": container.url, "created": created}
    else:
        blob = container.get_blob_client(args.blob)
        props = blob.get_blob_properties()
        data = blob.download_blob(validate_content=True).readall()
        with open(args.file, "rb") as handle:
            local = handle.read()
        out = {"same": data == local, "size": props.size, "content_type": props.content_settings.content_type,
               "content_md5": bytes(props.content_settings.content_md5 or b"").hex()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
