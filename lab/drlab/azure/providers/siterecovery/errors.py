"""Azure Site Recovery errors, in ASR's two observed shapes.

* A request ASR refuses (synchronously, no job started): ARM's envelope with ASR's fields in
  `details` (azure-powershell #4893, a real 400):

      {"error": {"code": "BadRequest", "message": "...", "details": [{"code": "<numeric>", "message",
       "possibleCauses", "recommendedAction", "clientRequestId", "activityId"}]}}

  The top-level message repeats the ASR message (the SDK's HttpResponseError shows it).
* A job that fails: the operation status answers `{"status": "Failed", "error": {"code": "<numeric>",
  "message"}}` (terraform #7479: `Code="150261" Message="Replication policy creation failed."`), and
  the job carries `errors[]` entries (`JobErrorDetails`: serviceErrorDetails, providerErrorDetails,
  errorLevel, creationTime, taskId).

Numeric codes: the ones seen on Azure are marked [O]/[S] below; the others are unknown and taken from
the lab's block 990xxx, so a reader can tell them apart (clients should not branch on them anyway).
"""
import uuid

from drlab.azure.rp import ArmError

_ARM_CODE = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             429: "TooManyRequests", 500: "InternalServerError", 501: "NotImplemented"}

# -- the catalog of numeric codes (strings, as ASR sends them) ---------------------------------------
# Codes seen on Azure ([O] observed, [S] spec/docs); every other code is the lab's own, from the block
# 990xxx, defined here only (the other modules import these names; no code is written inline).
POLICY_CREATION_FAILED = "150261"        # [O] terraform #7479
POLICY_ASSOCIATION_INVALID = "78253"     # [S] MicrosoftDocs: policy association
NO_TEST_FAILOVER = "161011"              # [O] health error of a never test-failed-over item
NO_APP_CONSISTENT_POINT = "78144"        # [S] MicrosoftDocs: no app-consistent recovery point
PUSH_INSTALL_UNREACHABLE = "95117"       # [U] classic push install: source machine unreachable
INTERNAL_ERROR = "990000"                # a simulator bug (a callback raised something else than ArmError)
INVALID_INPUT = "990001"
NOT_FOUND = "990002"
OPERATION_NOT_ALLOWED = "990003"         # not in allowedOperations, or not supported by the provider
ANOTHER_JOB_IN_PROGRESS = "990004"       # 409: a job runs on the object (or a recovery plan job locks it)
ALREADY_EXISTS = "990005"
MOBILITY_SERVICE_NOT_INSTALLED = "990006"
PROVIDER_NOT_SIMULATED = "990007"
IN_USE = "990008"
JOB_STATE = "990009"
RPO_THRESHOLD_EXCEEDED = "990010"        # health
INITIAL_REPLICATION_STALLED = "990011"   # health
AGENT_NO_HEARTBEAT = "990012"            # health
VCENTER_UNREACHABLE = "990013"
MACHINE_DELETED = "990014"               # health
APPLIANCE = "990015"
PREREQUISITE_FAILED = "990016"
NOT_SUPPORTED = "990017"
NO_RECOVERY_POINT = "990018"             # an action needs a recovery point the item does not have yet
EFFECT_WARNING = "990019"                # a job task's warning (errorLevel Warning): a side effect fell back
TEST_FAILOVER_PENDING = "990020"         # disable protection refused: clean up the test failover first
RESYNC_REQUIRED = "990032"               # health: ASR asks for a resync (the lab control /_lab/items/resync_required)
# recovery plans
PLAN_FABRIC_NOT_FOUND = "990021"
PLAN_ITEM_NOT_FOUND = "990022"
PLAN_ITEM_WRONG_FABRIC = "990023"
PLAN_ITEM_TWICE = "990024"
PLAN_ITEM_NOT_IN_BOOT_GROUP = "990025"
PLAN_GROUP_TWICE = "990026"
PLAN_TOO_MANY_ITEMS = "990027"
PLAN_PROVIDER_INPUT = "990028"
PLAN_FABRIC_CHANGE = "990029"
PLAN_INVALID_NAME = "990030"
PLAN_REPROTECT_NOT_SUPPORTED = "990031"


class AsrError(ArmError):
    """An ASR error: an ArmError (so the engine renders it) that also knows ASR's fields."""

    def __init__(self, status, code, message, possible_causes="", recommended_action="", arm_code=None):
        self.asr_code = str(code)
        self.possible_causes = possible_causes or ""
        self.recommended_action = recommended_action or ""
        self.activity_id = str(uuid.uuid4())
        detail = {"code": self.asr_code, "message": message, "possibleCauses": self.possible_causes,
                  "recommendedAction": self.recommended_action, "clientRequestId": str(uuid.uuid4()),
                  "activityId": self.activity_id}
        super().__init__(status, arm_code or _ARM_CODE.get(status, "BadRequest"), message, details=[detail])

    def status_error(self):
        """The `error` of a failed job's operation status (numeric code at the top, like Azure)."""
        return {"code": self.asr_code, "message": self.message, "details": list(self.details)}

    def job_error(self, task_id, creation_time):
        """A `JobErrorDetails` entry of a failed job."""
        return {"serviceErrorDetails": {"code": self.asr_code, "message": self.message,
                                        "possibleCauses": self.possible_causes,
                                        "recommendedAction": self.recommended_action,
                                        "activityId": self.activity_id},
                "providerErrorDetails": {"errorCode": int(self.asr_code) if self.asr_code.isdigit() else 0,
                                         "errorMessage": self.message, "errorId": str(uuid.uuid4()),
                                         "possibleCauses": self.possible_causes,
                                         "recommendedAction": self.recommended_action},
                "errorLevel": "Error", "creationTime": creation_time, "taskId": task_id}


def asr_error(status, code, message, possible_causes="", recommended_action="", arm_code=None):
    """The design doc's constructor: an AsrError (raise it)."""
    return AsrError(status, code, message, possible_causes, recommended_action, arm_code)


def as_asr(error):
    """Any ArmError as an AsrError (a plain ArmError keeps its code as the numeric one)."""
    if isinstance(error, AsrError):
        return error
    return AsrError(error.status, error.code, error.message)


# -- the catalog ---------------------------------------------------------------------------------

def invalid_input(message, recommended_action="Correct the input and retry the operation."):
    return asr_error(400, INVALID_INPUT, message, "The input of the operation is not valid.", recommended_action)


def missing_input(field):
    return invalid_input("The required input '%s' is missing." % field, "Provide '%s' and retry." % field)


def not_found(kind, name, status=404):
    return asr_error(status, NOT_FOUND, "The %s '%s' was not found." % (kind, name),
                     "The %s does not exist or was deleted." % kind,
                     "Check the %s and retry the operation." % kind)


def operation_not_allowed(operation, name, allowed):
    return asr_error(400, OPERATION_NOT_ALLOWED,
                     "The operation '%s' is not allowed on the replicated item '%s' in its current state." % (
                         operation, name),
                     "The replicated item's state allows only these operations: %s." % (
                         ", ".join(allowed) or "none"),
                     "Wait for the item to reach a state where the operation is allowed and retry.")


def job_in_progress(name, job_name, scenario, holder=None):
    """409: a job runs on the object; `holder` names the object the job belongs to when it is not the
    object itself (e.g. "recovery plan 'rp1'" for the items a recovery plan job locks)."""
    if holder:
        return asr_error(409, ANOTHER_JOB_IN_PROGRESS,
                         "The operation on '%s' can't be started: the %s is running the operation '%s' (job '%s') "
                         "on it." % (name, holder, scenario, job_name),
                         "A job of the %s includes '%s'; the object is locked until that job ends." % (holder, name),
                         "Wait for the job of the %s to complete (or cancel it) and retry the operation." % holder)
    return asr_error(409, ANOTHER_JOB_IN_PROGRESS,
                     "Another operation ('%s', job '%s') is in progress on '%s'." % (scenario, job_name, name),
                     "An operation started earlier on the same object has not completed.",
                     "Wait for the job to complete (or cancel it) and retry the operation.")


def already_exists(kind, name):
    return asr_error(409, ALREADY_EXISTS, "The %s '%s' already exists." % (kind, name),
                     "An object with the same name exists in the vault.",
                     "Use another name, or update the existing object.")


def in_use(kind, name, by):
    return asr_error(400, IN_USE, "The %s '%s' is in use by %s." % (kind, name, by),
                     "The %s is still referenced by other objects of the vault." % kind,
                     "Remove the references first (%s) and retry." % by)


def mobility_service_not_installed(machine):
    return asr_error(400, MOBILITY_SERVICE_NOT_INSTALLED,
                     "The Mobility service is not installed on the source machine '%s' and no credentials "
                     "were given to install it." % machine,
                     "Replication needs the Mobility service on the source machine: either the agent is "
                     "installed and registered with the replication appliance, or the appliance pushes it "
                     "with credentials (runAsAccountId).",
                     "Install and register the Mobility service on the machine, or give a run-as account "
                     "of the appliance ('runAsAccountId') so that it can push the installation.")


def provider_not_simulated(instance_type):
    return asr_error(400, PROVIDER_NOT_SIMULATED,
                     "The replication provider '%s' is not supported in this lab yet." % instance_type,
                     "The lab simulates the modernized VMware to Azure experience (InMageRcm and "
                     "InMageRcmFailback); the classic configuration server providers (InMageAzureV2, InMage) "
                     "are registered but not simulated.",
                     "Use the InMageRcm provider with the lab's replication appliance.")


def policy_not_associated(policy, container):
    return asr_error(400, POLICY_ASSOCIATION_INVALID,
                     "The replication policy '%s' is not associated with the protection container '%s'." % (
                         policy, container),
                     "A replication policy must be associated with the source protection container before "
                     "replication is enabled with it.",
                     "Associate the policy with the container (container mapping) and retry.")


def not_for_provider(operation, name, provider, why, action):
    """An item operation the item's replication provider does not have in any state."""
    return asr_error(400, OPERATION_NOT_ALLOWED,
                     "The operation '%s' is not supported for the replicated item '%s' (provider %s)." % (
                         operation, name, provider), why, action)


def test_failover_pending(name):
    return asr_error(400, TEST_FAILOVER_PENDING,
                     "Replication can't be disabled for '%s': a test failover of the item is waiting for its "
                     "cleanup. Clean up the test failover (testFailoverCleanup) first." % name,
                     "The test failover virtual machine created by Site Recovery still exists in Azure.",
                     "Clean up the test failover (testFailoverCleanup), then disable replication.")


def no_recovery_point(name):
    return asr_error(400, NO_RECOVERY_POINT, "No recovery point is available for the replicated item '%s'." % name,
                     "Initial replication has not completed, or no recovery point was generated yet.",
                     "Wait for the item to be protected and for a recovery point, and retry.")


def internal_error(err):
    return asr_error(500, INTERNAL_ERROR, "An internal error occurred: %s" % err)


def job_not_allowed(job_name, action, state):
    return asr_error(400, JOB_STATE,
                     "The action '%s' is not allowed on job '%s' in state '%s'." % (action, job_name, state),
                     "The job's allowedActions do not include '%s'." % action,
                     "Check the job's state and allowedActions and retry.")


def prerequisites_failed(machine, reasons):
    return asr_error(400, PREREQUISITE_FAILED,
                     "Protection couldn't be enabled for '%s': %s." % (machine, "; ".join(reasons)),
                     "The machine does not meet the requirements of Azure Site Recovery (support matrix for "
                     "VMware disaster recovery to Azure).",
                     "Fix the machine's configuration (see the support matrix) and enable replication again.")


def not_supported(operation):
    return asr_error(400, NOT_SUPPORTED, "The operation '%s' is not supported in this lab yet." % operation,
                     "The lab does not simulate this operation.", "Use an operation the lab simulates.")
