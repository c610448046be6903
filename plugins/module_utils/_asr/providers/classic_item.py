# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classic experience (InMageAzureV2 / InMage), protected items: not implemented yet.

The seam is here so the classic provider can be added without touching the pipeline: implement the functions of
`inmagercm_item` here. Until then a classic item is read (its facts, phase "unknown") and every write or action
on it answers that the classic experience is not implemented; the actions refuse it naming its raw state and
allowed operations.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_item

INSTANCE_TYPE = "InMageAzureV2"
FAILBACK_INSTANCE_TYPE = "InMage"


#: the job vocabulary is ASR's, the same for both experiences
scenario_action = inmagercm_item.scenario_action


def not_supported(what):
    raise InputError("experience", "classic", "modernized: %s for the classic experience (InMageAzureV2, configuration "
                     "server) is not implemented in dr.asr yet" % what)


# -- reads: what dr.asr can say about a classic item without a classic model ---------------------------------------

def is_failback(instance_type):
    return (instance_type or "").lower() == FAILBACK_INSTANCE_TYPE.lower()


def phase(provider, active_location, state, allowed, running=None, progress=None):  # pylint: disable=unused-argument
    return "unknown"


def runs_in(provider, active_location):  # pylint: disable=unused-argument
    return None


def replicates_to(provider, active_location, allowed=None):  # pylint: disable=unused-argument
    return None


def listed(details):  # pylint: disable=unused-argument
    return False


def item_facts(details):
    return dict(provider=details.get("instanceType"), progress=details.get("resyncProgressPercentage"))


def lifecycle_facts(details):  # pylint: disable=unused-argument
    return dict(last_planned_failover_status=None, reprotect_agent=None, datastore=None, log_storage_account_id=None)


# -- writes and inputs --------------------------------------------------------------------------------------------

def __getattr__(name):
    return lambda *args, **kwargs: not_supported(name.replace("_", " "))
