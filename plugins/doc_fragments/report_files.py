# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with REPORT_ARGUMENT_SPEC in plugins/module_utils/_report_files.py (tests/unit checks it): the options of
    # the report writers dr.asr.drill_report and dr.asr.posture_report.
    DOCUMENTATION = r'''
options:
  path:
    description:
      - Directory the report files go to; created (mode C(0755)) when missing.
    type: path
    required: true
  formats:
    description:
      - Which files to write.
    type: list
    elements: str
    choices: [json, junit, html]
    default: [json, junit, html]
  mode:
    description:
      - File mode of the report files, as octal text (V("0600"), V("0640")) or a number (C(0o600), YAML's C(0600)).
      - The default V("0600") keeps them to their owner - a drill report holds the smoke checks' output, a posture
        report the estate's weak spots.
      - A mode with the setuid, setgid or sticky bit, above C(0777), negative, or text that is not octal is refused.
    type: raw
    default: "0600"
  blob_url:
    description:
      - Also upload the files to this Azure Blob Storage container - its URL, C(https://<account>.blob.core.windows.net/<container>)
        (or C(https://<address>:<port>/<account>/<container>) for an emulator). Each file becomes the block blob
        C(<blob_prefix><name>.<suffix>), e.g. so that the report survives an AWX execution environment that is thrown
        away after the job.
      - The container must exist. No query string - a SAS goes in O(sas_token).
      - Mutually exclusive with O(storage_account) and O(container).
    type: str
  storage_account:
    description:
      - Also upload the files to O(container) of this storage account; its Blob service endpoint is read from Azure
        Resource Manager (the account's C(primaryEndpoints.blob)), which needs read access to the account.
      - Requires O(container).
    type: str
  storage_resource_group:
    description:
      - Resource group of O(storage_account); without it the subscription's storage accounts are searched by name.
    type: str
  container:
    description:
      - The blob container of O(storage_account). Requires O(storage_account).
    type: str
  blob_prefix:
    description:
      - Prefix of the blobs' names, a virtual directory such as V(drills/2026/) (no leading C(/), no C(.) or C(..)
        segments).
    type: str
    default: ""
  sas_token:
    description:
      - A shared access signature for the container (the query string, with or without its leading C(?)); it needs
        the create and write permissions, and read to compare what is there already.
      - Without it the upload is authorized with Microsoft Entra ID - a token of the module's Azure credentials
        (the options below, or C(module_defaults) of C(group/dr.asr.azure)) for C(https://storage.azure.com/); the
        identity needs a data role such as Storage Blob Data Contributor on the account or container.
    type: str
notes:
  - The upload is idempotent - a blob whose C(Content-MD5) and size (read with Get Blob Properties) equal the file's is
    not uploaded again; Azure checks the MD5 of each upload (C(Content-MD5)) and stores it with the blob.
  - TLS to the storage account is verified with the same CA bundle as every Azure call (O(ca_bundle),
    E(AZURE_CA_BUNDLE), E(REQUESTS_CA_BUNDLE), E(SSL_CERT_FILE)).
  - The Azure options matter only for the upload (and O(storage_account)); without O(blob_url) or
    O(storage_account) the module needs no Azure SDK and makes no network call.
'''
