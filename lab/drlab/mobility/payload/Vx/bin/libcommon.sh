# shellcheck shell=sh disable=SC2034
# dr.asr LAB STAND-IN of the ASR Mobility service: functions shared by install,
# UnifiedAgentConfigurator.sh and uninstall.sh (the real agent also ships a bin/libcommon.sh).
# Sourced, never run: callers set LOGFILE first.

VX_VERSION_FILE=/usr/local/.vx_version
DRSCOUT_LINK=/usr/local/drscout.conf
INMAGE_DIR=/usr/local/InMage
DEFAULT_ERRORS_JSON=/var/log/InstallerErrors.json

# Exit codes: the values of Microsoft's UnifiedAgent setup (SetupHelper.UASetupReturnValues).
RC_SUCCESS=0
RC_FAILED=1
RC_INVALID_COMMAND_LINE=2
RC_INVALID_ARGUMENTS=3
RC_INVALID_INSTALL_LOCATION=10
RC_AGENT_POINTING_TO_DIFFERENT_CS=13
RC_INVALID_PASSPHRASE_OR_CS=14
RC_DOWNGRADE_NOT_SUPPORTED=15
RC_AGENT_REGISTRATION_FAILED=17
RC_UNSUPPORTED_OS=42
RC_ROLE_CHANGE_NOT_ALLOWED=75
RC_PLATFORM_CHANGE_NOT_ALLOWED=76
RC_FAILED_WITH_ERRORS=97
RC_SUCCEEDED_WITH_WARNINGS=98
RC_AGENT_CONFIG_INPUT_FAILURE=130

# trace_log_message [-q] message...: the message to stdout and, time-stamped, to $LOGFILE;
# with -q to $LOGFILE only (the format of the real scripts' function of the same name).
trace_log_message() {
    tlm_quiet=false
    if [ "$#" -gt 0 ] && [ "X$1" = "X-q" ]; then
        tlm_quiet=true
        shift
    fi
    tlm_stamp=$(date '+%m/%d/%Y %H:%M:%S')
    if [ "$#" -eq 0 ]; then
        if $tlm_quiet; then
            echo "" >> "$LOGFILE"
        else
            echo "" | tee -a "$LOGFILE"
        fi
        return 0
    fi
    if $tlm_quiet; then
        printf '%s: %s\n' "$tlm_stamp" "$*" >> "$LOGFILE"
    else
        printf '%s\n' "$*"
        printf '%s : %s \n' "$tlm_stamp" "$*" >> "$LOGFILE"
    fi
}

# conf_get FILE KEY: the value of "KEY=value" or "KEY = value" (blanks removed, like the real
# scripts' `grep ^KEY | cut -d= -f2 | tr -d " "`).
conf_get() {
    grep "^$2[ =]" "$1" 2>/dev/null | head -n 1 | cut -d= -f2- | tr -d ' '
}

# conf_set FILE KEY VALUE: KEY=VALUE right under [vxagent] (the real update_config_general).
conf_set() {
    sed -i -e "/^$2[ =]/d" -e "/^\[vxagent\]/ a $2=$3" "$1"
}

# conf_set_spaced FILE KEY VALUE: "KEY = VALUE", in place (how the real configurator writes
# Hostname and Port).
conf_set_spaced() {
    if grep -q "^$2[ =]" "$1"; then
        sed -i -e "s|^$2[ =].*|$2 = $3|" "$1"
    else
        sed -i -e "/^\[vxagent\]/ a $2 = $3" "$1"
    fi
}

vx_get() {
    grep "^$1=" "$VX_VERSION_FILE" 2>/dev/null | head -n 1 | cut -d= -f2-
}

# vx_set KEY VALUE: replace (or append) KEY=VALUE in /usr/local/.vx_version.
vx_set() {
    if grep -q "^$1=" "$VX_VERSION_FILE"; then
        sed -i -e "s|^$1=.*|$1=$2|" "$VX_VERSION_FILE"
    else
        echo "$1=$2" >> "$VX_VERSION_FILE"
    fi
}

# public_version VERSION BUILD_TAG: MAJOR.MINOR.BUILD.PATCH. The version file keeps the patch-set
# number (0) in VERSION's third place; the build number is the fourth field of BUILD_TAG.
public_version() {
    pv_build=$(echo "$2" | cut -d_ -f4)
    echo "$1" | awk -F. -v OFS=. -v b="${pv_build:-0}" '{ $3 = b; print }'
}

# version_compare A B: returns 0 if A = B, 1 if A > B, 2 if A < B (dotted numbers).
version_compare() {
    vc_i=1
    while [ "$vc_i" -le 4 ]; do
        vc_a=$(echo "$1" | cut -d. -f"$vc_i")
        vc_b=$(echo "$2" | cut -d. -f"$vc_i")
        if [ "${vc_a:-0}" -gt "${vc_b:-0}" ]; then
            return 1
        fi
        if [ "${vc_a:-0}" -lt "${vc_b:-0}" ]; then
            return 2
        fi
        vc_i=$((vc_i + 1))
    done
    return 0
}

json_escape() {
    printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n'
}

# log_error_json FILE NAME MESSAGE: the error summary the real setup writes for the portal
# (lab format: {"Errors": [{"ErrorName", "DefaultMessage"}]}).
log_error_json() {
    printf '{"Errors": [{"ErrorName": "%s", "DefaultMessage": "%s"}]}\n' \
        "$(json_escape "$2")" "$(json_escape "$3")" > "$1" 2>/dev/null || true
}
