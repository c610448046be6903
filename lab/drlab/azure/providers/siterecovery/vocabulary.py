"""What ASR says, as the lab says it, with the source of every word: THE one place for the lab's guesses.

Protection states with their descriptions and allowedOperations, test failover states, job scenarios with
their friendly names, task names and customDetails, and the item's `currentScenario` names. Everything the
lab answers about the lifecycle comes from here (items.py, actions.py, plans.py, policies.py read it;
nothing else writes a state or job name). tests/lab/test_asr_recorded.py holds every `recorded` word to the
recordings (tests/recorded/asr_modernized.json); docs/lab-asr.md renders this module as one table
(`python -m drlab.azure.providers.siterecovery.vocabulary` prints it).

Sources, strongest first:

* recorded: real traffic of Azure PowerShell's test suite against a real modernized vault (SessionRecords
  RecoveryServices.SiteRecovery.Test.AsrV2ARCMTests), facts in tests/recorded/asr_modernized.json; `ref`
  names the recording and entry.
* documented: Microsoft Learn.
* spec: the REST spec (SiteRecovery 2025-08-01) and its examples, the SDK models.
* guessed: nothing real shows it. Guesses are ours; the collection must not depend on them (it decides from
  allowedOperations, the running job, activeLocation and the provider).

activeLocation is relative to the provider's direction: an InMageRcm item (VMware -> Azure) is active at
`Primary` on-premises and at `Recovery` in Azure; an InMageRcmFailback item (Azure -> VMware, after a
reprotect) is active at `Primary` in Azure and at `Recovery` on-premises (recorded).
"""
import collections

RECORDED, DOCUMENTED, SPEC, GUESSED = "recorded", "documented", "spec", "guessed"
SOURCES = (RECORDED, DOCUMENTED, SPEC, GUESSED)

RCM, FAILBACK = "InMageRcm", "InMageRcmFailback"
PRIMARY, RECOVERY = "Primary", "Recovery"

#: one row of the state table: the item's (provider, activeLocation, protectionState[, testFailoverState])
#: and what ASR answers for it
State = collections.namedtuple("State", "provider location state tfo description operations source ref note")
#: one job scenario: what `replicationJobs` shows, and the item's `currentScenario.scenarioName` meanwhile
Job = collections.namedtuple("Job", "scenario friendly target_type tasks custom item_scenario source ref note")
Word = collections.namedtuple("Word", "value source ref")


def _state(provider, location, state, description, operations, source, ref, note="", tfo=None):
    return State(provider, location, state, tfo, description, tuple(operations), source, ref, note)


# -- protection states ----------------------------------------------------------------------------------------
# allowedOperations in the order ASR lists them. `tfo` None is the row of every test failover state but the ones
# with a row of their own.

STATES = [
    # InMageRcm: VMware -> Azure
    _state(RCM, PRIMARY, "UnprotectedStatesBegin", "Enabling protection", [], RECORDED,
           "TestV2ARCMSwitchAppliance#10, TestV2ARCMTestFailover#10", "the enable job runs (EnableProtection)"),
    _state(RCM, PRIMARY, "InitialReplicationStartInProgress", "Initial replication is in progress", [], RECORDED,
           "TestV2ARCMSwitchAppliance#11", "the enable job's last tasks (EnableProtection)"),
    _state(RCM, PRIMARY, "EnablingFailed", "Protection couldn't be enabled", ["DisableProtection"], RECORDED,
           "TestV2ARCMCommit#10, TestV2ARCMReprotect#11",
           "currentScenario keeps the failed job (EnableProtection and its id)"),
    _state(RCM, PRIMARY, "InitialReplicationInProgress", "Initial replication is in progress", ["DisableProtection"],
           GUESSED, "InMageRcmFailback's row (TestV2ARCMCancelFailover#10)",
           "the string and operations are recorded for InMageRcmFailback; InMageRcm's initial replication was "
           "recorded only in its last phase (next row)"),
    _state(RCM, PRIMARY, "InitialReplicationRecoveryCompletionPending", "Waiting for first recovery point",
           ["DisableProtection"], RECORDED, "TestV2ARCMCancelFailover#10",
           "the lab shows it once every disk is copied, until the first recovery point (when: guessed)"),
    _state(RCM, PRIMARY, "Protected", "Protected", ["UnplannedFailover", "DisableProtection", "TestFailover"], RECORDED,
           "TestV2ARCMCommit#10, TestV2ARCMFailover#11",
           "also after a test failover cleanup (testFailoverState stays MarkedForDeletion); RepairReplication comes "
           "first when resyncRequired is true (TestV2ARCM540Reprotect#12)"),
    _state(RCM, PRIMARY, "Protected", "Cleanup test failover pending", ["TestFailoverCleanup"], SPEC,
           "ReplicationProtectedItems_TestFailover example", "a test failover is up, waiting for its cleanup",
           tfo="WaitingForCompletion"),
    _state(RCM, RECOVERY, "UnplannedFailoverCommitPendingStatesBegin", "Failover completed",
           ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"], RECORDED,
           "TestV2ARCMCommit#10-11, TestV2ARCMReprotect#11", "a reprotect (SwitchProtection) commits on its way"),
    _state(RCM, RECOVERY, "UnplannedFailoverCommitted", "Failover committed",
           ["CompleteMigration", "DisableProtection", "SwitchProtection"], RECORDED, "TestV2ARCMReprotect#11-13"),
    # InMageRcmFailback: Azure -> VMware, after a reprotect; Primary is Azure
    _state(FAILBACK, PRIMARY, "InitialReplicationStartInProgress", "Initial replication is in progress", [], RECORDED,
           "TestV2ARCMSwitchAppliance#10", "the reprotect job's last tasks (EnableProtection)"),
    _state(FAILBACK, PRIMARY, "InitialReplicationInProgress", "Initial replication is in progress",
           ["DisableProtection"], RECORDED, "TestV2ARCMCancelFailover#10, TestV2ARCMSwitchAppliance#10-11"),
    _state(FAILBACK, PRIMARY, "Protected", "Protected", ["PlannedFailover", "DisableProtection"], RECORDED,
           "TestV2ARCMFailback#10-11, TestV2ARCM540Reprotect#12", "replicating to on-premises, ready to fail back"),
    _state(FAILBACK, PRIMARY, "PlannedFailoverTransitionStatesBegin", "Planned failover was initiated", [], RECORDED,
           "TestV2ARCMUpdateProtection#10-11", "the planned failover job runs (PlannedFailover)"),
    _state(FAILBACK, RECOVERY, "CommitPendingStatesBegin", "Planned failover finished",
           ["CompleteMigration", "Commit", "DisableProtection", "SwitchProtection", "CancelFailover"], RECORDED,
           "TestV2ARCM540Reprotect#12-14, TestV2ARCMCancelFailover#10-11",
           "a reprotect (SwitchProtection) commits on its way"),
    _state(FAILBACK, RECOVERY, "PlannedFailoverCommitted", "Planned failover committed",
           ["DisableProtection", "SwitchProtection"], GUESSED,
           "description from the spec's PlannedFailover example; string and operations by analogy with "
           "UnplannedFailoverCommitted", "no recording shows a failback commit"),
    # either provider
    _state(None, None, "DisablingProtection", "Disabling protection", [], GUESSED, "",
           "the disable job runs"),
]

#: what an item whose (provider, location, state) has no row allows [guessed]
UNKNOWN_OPERATIONS = ("DisableProtection",)
#: allowedOperations while a job runs on the item (its own or a recovery plan's) [guessed: every recorded
#: state of a running job lists none: UnprotectedStatesBegin, InitialReplicationStartInProgress,
#: PlannedFailoverTransitionStatesBegin]
RUNNING_OPERATIONS = ()
#: extra operations put FIRST when a provider detail has a value [recorded: TestV2ARCM540Reprotect#12]
CONDITIONAL = {(RCM, PRIMARY, "Protected"): [("resyncRequired", "true", "RepairReplication")]}

TEST_FAILOVER_STATES = {
    "None": Word("None", RECORDED, "every recording"),
    "WaitingForCompletion": Word("Waiting for user input", SPEC, "ReplicationProtectedItems_TestFailover example"),
    # stays after the cleanup job has ended, with TestFailover allowed again
    "MarkedForDeletion": Word("Cleaning up test environment", RECORDED, "TestV2ARCMFailover#11, TestV2ARCMReprotect#12"),
}


def state_row(provider, location, state, tfo="None"):
    """The State row of an item (None: not in the table)."""
    match = None
    for row in STATES:
        if row.state != state or (row.provider and row.provider != provider) or \
                (row.location and row.location != location):
            continue
        if row.tfo is not None:
            if row.tfo == tfo:
                return row
            continue
        match = row
    return match


def description(provider, location, state, tfo="None"):
    row = state_row(provider, location, state, tfo)
    return row.description if row else state


def operations(provider, location, state, tfo="None", details=None, running=False):
    """allowedOperations of an item (see STATES, RUNNING_OPERATIONS, CONDITIONAL, UNKNOWN_OPERATIONS)."""
    if running:
        return list(RUNNING_OPERATIONS)
    row = state_row(provider, location, state, tfo)
    ops = list(row.operations) if row else list(UNKNOWN_OPERATIONS)
    for field, value, operation in CONDITIONAL.get((provider, location, state), []) if row and row.tfo is None \
            else []:
        if str((details or {}).get(field)).lower() == value and operation not in ops:
            ops.insert(0, operation)
    return ops


def provider_operations(provider):
    """Every operation the table allows a provider in some state (what the provider supports at all)."""
    out = set()
    for row in STATES:
        if row.provider in (None, provider):
            out.update(row.operations)
    for (p, _l, _s), extra in CONDITIONAL.items():
        if p == provider:
            out.update(op for _f, _v, op in extra)
    return out


# -- jobs ------------------------------------------------------------------------------------------------------
# key: the lab's name of the action. tasks: the task names in the order ASR lists them (recorded names where a
# recording shows the job; the lab's own otherwise). item_scenario: the item's currentScenario.scenarioName while
# the job runs (None: the job's scenarioName).

def _job(scenario, friendly, target_type, tasks, custom, source, ref, item_scenario=None, note=""):
    return Job(scenario, friendly, target_type, tuple(tasks), custom, item_scenario, source, ref, note)


JOBS = {
    # protection
    "enable": _job("EnableDr", "Enable replication", "ProtectionEntity",
                   ["EnableProtectionPrerequisitesCheck", "CreateProtectionTarget", "EnableProtection",
                    "VmStartInitialReplication", "UpdateDraState"], "AsrJobDetails", RECORDED, "TestV2ARCMEnableDR#20",
                   item_scenario="EnableProtection",
                   note="item scenario EnableProtection recorded (TestV2ARCMSwitchAppliance#10); the lab installs "
                        "the Mobility service (push) in EnableProtection"),
    "update": _job("UpdateVmProperties", "Update the virtual machine", "ProtectionEntity", ["UpdateVmPropertiesTask"],
                   "AsrJobDetails", RECORDED, "TestV2ARCMUpdateProtection#16-22"),
    "disable": _job("DisableDr", "Disable replication", "ProtectionEntity", ["DisableProtectionTask", "CleanupTask"],
                    "AsrJobDetails", GUESSED, ""),
    "purge": _job("PurgeProtection", "Purge replicated item", "ProtectionEntity", ["PurgeTask"], "AsrJobDetails",
                  GUESSED, ""),
    "update_appliance": _job("UpdateApplianceForRPI", "Update appliance for protected item", "ProtectionEntity",
                             ["UpdateAppliancePreflightChecksTask", "UpdateApplianceForProtectedItemTask"],
                             "AsrJobDetails", RECORDED, "TestV2ARCMSwitchAppliance#16-1320"),
    # drill
    "test_failover": _job("TestFailover", "Test failover", "ProtectionEntity",
                          ["VmTfoPrerequisitesCheck", "VmTfoInitiateFailover", "VmTfoPrepareTestVm", "VmTfoBootTestVm"],
                          "TestFailoverJobDetails", RECORDED, "TestV2ARCMTestFailover#13-1082"),
    "test_failover_cleanup": _job("TestFailoverCleanup", "Test failover cleanup", "ProtectionEntity",
                                  ["VmTfoCleanupPreflightsCheck", "VmTfoEndFailover", "VmTfoDeleteTestVm"],
                                  "TestFailoverJobDetails", RECORDED, "TestV2ARCMTestFailover#1084-1407"),
    # failover to Azure
    "unplanned_failover": _job("UnplannedFailover", "Failover", "ProtectionEntity",
                               ["VmUfoPrerequisitesCheck", "VmShutdownVmOnPrimary", "VmFailover",
                                "VmFoStartVmOnSecondary"], "FailoverJobDetails", RECORDED,
                               "TestV2ARCMFailover#13-1121",
                               note="VmShutdownVmOnPrimary ends in state Other, 'Skipped', without performShutdown"),
    "change_recovery_point": _job("ChangePit", "Change recovery point", "ProtectionEntity",
                                  ["ChangePitPrerequisitesCheck", "ChangePitTask", "VmFoStartVmOnSecondary"],
                                  "FailoverJobDetails", GUESSED, "", note="scenario and task names are the lab's"),
    "commit": _job("CommitFailover", "Commit", "ProtectionEntity", ["VmCommitPrerequisitesCheck", "VmCommit"],
                   "AsrJobDetails", RECORDED, "TestV2ARCMCommit#13-14",
                   note="the failback's commit (InMageRcmFailback) is not recorded: the lab uses the same job"),
    # reprotect, both ways
    "reprotect": _job("SwitchReplicationGroupProtection", "Reprotect", "ProtectionEntity",
                      ["SwitchReplicationGroupProtectionPreflightTask", "VmCommitFailover", "DiscoverReplicaTask",
                       "GetSwitchProtectionRequirementsTask", "ProtectReplicaTask"], "SwitchProtectionJobDetails",
                      RECORDED, "TestV2ARCMReprotect#15, TestV2ARCM540Reprotect#16", item_scenario="SwitchProtection",
                      note="VmCommitFailover commits a failover still pending; the item's scenario meanwhile is a "
                           "guess (SwitchProtection, then EnableProtection once ProtectReplicaTask runs: recorded "
                           "for an InMageRcmFailback item in InitialReplicationStartInProgress)"),
    # failback
    "planned_failover": _job("PlannedFailover", "Planned failover", "ProtectionEntity",
                             ["VmPfoPrerequisitesCheck", "VmPrepareForFailover", "VmFailover",
                              "VmPrepareProtectedEntitiesTask", "VmFoStartVmOnSecondary"], "FailoverJobDetails",
                             RECORDED, "TestV2ARCMFailback#13", item_scenario="PlannedFailover"),
    "cancel_failover": _job("CancelFailover", "Cancel failover and resume replication", "ProtectionEntity",
                            ["CancelFailoverPreflightChecksTask", "CancelFailoverRecovery", "CancelFailoverPrimaryTask",
                             "StartVmOnPrimary"], "AsrJobDetails", RECORDED, "TestV2ARCMCancelFailover#13"),
    # maintenance
    "repair": _job("RepairReplication", "Resynchronize", "ProtectionEntity",
                   ["RepairReplicationPrerequisitesCheck", "RepairReplicationTask"], "AsrJobDetails", GUESSED, ""),
    "add_disks": _job("AddDisks", "Add disks", "ProtectionEntity", ["AddDisksPrerequisitesCheck", "AddDisksTask"],
                      "AsrJobDetails", GUESSED, "", note="the operation is the SDK's (begin_add_disks, "
                      "InMageRcmAddDisksInput); its job's names are not recorded"),
    "resolve_health": _job("ResolveHealthErrors", "Resolve health errors", "ProtectionEntity",
                           ["ResolveHealthErrorsPrerequisitesCheck", "ResolveHealthErrorsTask"], "AsrJobDetails",
                           GUESSED, "", note="the operation is the SDK's (begin_resolve_health_errors, "
                           "ResolveHealthInput); its job's names are not recorded"),
    "update_agent": _job("UpdateMobilityService", "Update Mobility Service", "ProtectionEntity",
                         ["UpdateMobilityServicePrerequisitesCheck", "UpdateMobilityServiceTask"], "AsrJobDetails",
                         GUESSED, ""),
    "reinstall_agent": _job("ReinstallMobilityService", "Reinstall Mobility Service", "ProtectionEntity",
                            ["ReinstallMobilityServicePrerequisitesCheck", "ReinstallMobilityServiceTask"],
                            "AsrJobDetails", GUESSED, ""),
    # policies and their association
    "policy_create": _job("AddProtectionProfile", "Create replication policy", "ProtectionProfile",
                          ["AddProtectionProfilePreflightsCheckTask", "AddProtectionProfileTask"], "AsrJobDetails",
                          RECORDED, "TestV2ARCMPolicy#4-5"),
    "policy_update": _job("ModifyProtectionProfile", "Modify settings of the replication policy", "ProtectionProfile",
                          ["ModifyProtectionProfilePreflightChecksTask", "ModifyProtectionProfileAssociationParentTask",
                           "ModifyProtectionProfileTask"], "AsrJobDetails", RECORDED, "TestV2ARCMPolicy#11-12"),
    "policy_delete": _job("RemoveProtectionProfile", "Delete replication policy", "ProtectionProfile",
                          ["RemoveProtectionProfilePreflightsCheckTask", "RemoveProtectionProfileTask"],
                          "AsrJobDetails", GUESSED, ""),
    "mapping_create": _job("AssociateProtectionProfile", "Associate replication policy", "ProtectionProfile",
                           ["CloudPairingPrerequisitesCheck", "CloudPairingPrepareSite", "CloudPairingPrepareCloud",
                            "CloudPairingPairClouds"], "AsrJobDetails", RECORDED, "TestV2ARCMContainerMapping#12-13",
                           note="the job's target is the policy (ProtectionProfile, its name)"),
    "mapping_update": _job("UpdateProtectionContainerMapping", "Update replication policy association",
                           "ProtectionProfile", ["UpdateCloudPairingTask"], "AsrJobDetails", GUESSED, ""),
    "mapping_delete": _job("DissociateProtectionProfile", "Dissociate replication policy", "ProtectionProfile",
                           ["CloudUnpairingPrerequisitesCheck", "CloudUnpairingTask"], "AsrJobDetails", GUESSED,
                           "", note="by analogy with AssociateProtectionProfile"),
    # recovery plans
    "plan_save": _job("SaveRecoveryPlan", "Save a recovery plan", "RecoveryPlan", ["SaveRecoveryPlanTask"],
                      "AsrJobDetails", RECORDED, "TestV2ARCMRecoveryPlan#14-15", note="create and update"),
    "plan_delete": _job("DeleteRecoveryPlan", "Delete a recovery plan", "RecoveryPlan", ["DeleteRecoveryPlanTask"],
                        "AsrJobDetails", RECORDED, "TestV2ARCMRecoveryPlan#19-20"),
    # the appliance
    "refresh_provider": _job("RefreshFabricLayout", "Refresh server details", "Server",
                             ["RefreshFabricLayoutPreflightChecksTask", "RefreshFabricLayoutTask"], "AsrJobDetails",
                             RECORDED, "TestV2ARCMEnableDR#17-18", note="target: the appliance (Server)"),
}


def job(key):
    return JOBS[key]


def item_scenario(scenario):
    """The item's currentScenario name while a job of `scenario` runs (EnableDr -> EnableProtection)."""
    for entry in JOBS.values():
        if entry.scenario == scenario:
            return entry.item_scenario or entry.scenario
    return scenario


# -- containers, mappings, plans, disks -------------------------------------------------------------------------

#: (policy, provider, settings, its mapping) of a new modernized vault
DEFAULT_POLICIES = (
    ("24-hour-replication-policy", RCM,
     {"recoveryPointHistoryInMinutes": 4320, "appConsistentFrequencyInMinutes": 240,
      "crashConsistentFrequencyInMinutes": 5, "enableMultiVmSync": "true"}, "default-failover-containerpairing"),
    ("crashconsistency-policy-failback", FAILBACK,
     {"appConsistentFrequencyInMinutes": 0, "crashConsistentFrequencyInMinutes": 5},
     "crashconsistency-failback-containerpairing"),
    ("appconsistency-policy-failback", FAILBACK,
     {"appConsistentFrequencyInMinutes": 60, "crashConsistentFrequencyInMinutes": 5},
     "appconsistency-failback-containerpairing"),
)

WORDS = {
    "azure_container": Word("Microsoft Azure", RECORDED, "TestV2ARCMContainerMapping#5, TestV2ARCMRecoveryPlan#13"),
    # the failback policies' mappings target the appliance's own container, without providerSpecificDetails
    "failback_mapping_target": Word("<the source container's id>", RECORDED, "TestV2ARCMContainerMapping#5"),
    # a new modernized vault's defaults, made when the appliance registers (names and settings recorded in every
    # recording; that the registration makes them: guessed)
    "default_policies": Word(DEFAULT_POLICIES, RECORDED, "TestV2ARCMProtectableItem#5-8, TestV2ARCMContainer#5-11"),
    # recovery plans: the answer puts empty Shutdown and Failover groups before the Boot groups; a member's
    # virtualMachineId is the item's internalIdentifier
    "plan_groups": Word(("Shutdown", "Failover"), RECORDED, "TestV2ARCMRecoveryPlan#16"),
    "plan_member_vm_id": Word("providerSpecificDetails.internalIdentifier", RECORDED, "TestV2ARCMRecoveryPlan#13,16"),
    # a list of protected items carries these arrays empty; a GET of the item fills them
    "item_list_empty": Word(("protectedDisks", "vmNics", "agentUpgradeBlockingErrorDetails"), RECORDED,
                            "TestV2ARCMReprotect#11-12, TestV2ARCMRecoveryPlan#10-12,17"),
    # protectedDisks[].diskId / diskName: the agent's names. Windows recorded; Linux guessed (the device path)
    "disk_id_windows": Word(("{%s}", "\\\\.\\PHYSICALDRIVE%d"), RECORDED, "TestV2ARCMReprotect#12"),
    "disk_id_linux": Word(("/dev/sd%s", "/dev/sd%s"), GUESSED, ""),
    # the enable input's disksToInclude[].diskId: the VMware disk's UUID as the appliance discovered it
    "enable_disk_id": Word("the discovered disk uuid", DOCUMENTED,
                           "New-AzRecoveryServicesAsrInMageRcmDiskInput (DiskId 6000C296-...)"),
    # LRO: 202 with Location {target}/operationresults/{job}, Azure-AsyncOperation {vault}/replicationOperationStatus/
    # {job}, Retry-After 30, x-ms-request-id = the job's id
    "lro": Word("202 Location operationresults + Azure-AsyncOperation replicationOperationStatus + Retry-After 30",
                RECORDED, "TestV2ARCMEnableDR#19, TestV2ARCMPolicy#10"),
}


def table():
    """Rows (kind, what, value, source, ref, note) of everything above: docs/lab-asr.md's table."""
    rows = []
    for row in STATES:
        what = "%s / %s / %s%s" % (row.provider or "any", row.location or "any", row.state,
                                   " / test failover " + row.tfo if row.tfo else "")
        rows.append(("item state", what, "%s; allowed: %s" % (row.description, ", ".join(row.operations) or "none"),
                     row.source, row.ref, row.note))
    rows.append(("item state", "a job runs on the item", "allowed: none", GUESSED,
                 "recorded transitional states list none", ""))
    rows.append(("item state", "a state not above", "allowed: DisableProtection", GUESSED, "", ""))
    for name, word in TEST_FAILOVER_STATES.items():
        rows.append(("test failover state", name, word.value, word.source, word.ref, ""))
    for key, entry in JOBS.items():
        rows.append(("job", key, "%s (%s), %s; tasks %s; %s%s" % (
            entry.scenario, entry.friendly, entry.target_type, ", ".join(entry.tasks), entry.custom,
            "; item scenario " + entry.item_scenario if entry.item_scenario else ""), entry.source, entry.ref,
            entry.note))
    for key, word in WORDS.items():
        rows.append(("word", key, str(word.value) if not isinstance(word.value, tuple) or key != "default_policies"
                     else ", ".join(p[0] for p in word.value), word.source, word.ref, ""))
    return rows


def markdown():
    out = ["| kind | what | ASR says | source | where | note |", "| --- | --- | --- | --- | --- | --- |"]
    for row in table():
        out.append("| %s |" % " | ".join(str(c).replace("|", "\\|") for c in row))
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
