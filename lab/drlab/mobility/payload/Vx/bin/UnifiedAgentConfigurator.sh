#!/bin/sh
# dr.asr LAB STAND-IN of UnifiedAgentConfigurator.sh, the Mobility service's registration script.
#
#   modernized:  UnifiedAgentConfigurator.sh -c CSPrime -S <config.json> -q
#   classic:     UnifiedAgentConfigurator.sh -i <CS IP> -P <passphrase file> [-p <port>] [-c CSLegacy]
#   unregister:  UnifiedAgentConfigurator.sh -c CSPrime -U true -q
#
# As in the real script, a CSPrime configuration exits only with 0, 97 (failed, see
# /var/log/InstallerErrors.json) or 98 (succeeded with warnings); a CSLegacy one passes its codes
# through (1, 13, 14, 17, ...). See lab/drlab/mobility/README.md.

LANG=C
export LANG
umask 0002
LOGFILE=/var/log/ua_install.log
BIN_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=libcommon.sh
. "$BIN_DIR/libcommon.sh"
CONFIGURE_ERRORS_JSON=""
CS_TYPE=""
CS_IP_ADDRESS=""
CS_PORT=""
PASSPHRASE_FILE=""
SOURCE_CONFIG_FILE=""
UNCONFIGURE=""
DISCOVERY=""
CLI_ERRORS=""

usage() {
    trace_log_message "Usage:  UnifiedAgentConfigurator.sh [options]"
    trace_log_message "Options:"
    trace_log_message "  -i <Configuration Server IP Address>"
    trace_log_message "  -p <Configuration Server port (default 443)>"
    trace_log_message "  -l <Log file name (absolute path)>"
    trace_log_message "  -P <Passphrase file name(absolute path)>"
    trace_log_message "  -S <Source config file name(absolute path)>"
    trace_log_message "  -D <Credential Less Discovery(true/false)>"
    trace_log_message "  -U <Unconfigure appliance>"
    trace_log_message "  -f <Errors json file (absolute path)>"
    trace_log_message "  -c <CSType (CSLegacy/CSPrime)>"
    trace_log_message "  -q <silent>"
    trace_log_message "  -h <help> "
}

# exit_with_retcode CODE: for CSPrime only 0, 97 and 98 leave the script (like the real one).
exit_with_retcode() {
    ewr_code=$1
    trace_log_message "Check the log file $LOGFILE for detailed diagnostic messages or configuration success/failures..."
    if [ "$CS_TYPE" = "CSPrime" ]; then
        if [ "$ewr_code" -ne 0 ] && [ "$ewr_code" -ne "$RC_SUCCEEDED_WITH_WARNINGS" ] &&
                [ "$ewr_code" -ne "$RC_FAILED_WITH_ERRORS" ]; then
            ewr_code=$RC_FAILED_WITH_ERRORS
        fi
        if [ "$ewr_code" -eq "$RC_FAILED_WITH_ERRORS" ]; then
            trace_log_message "Configurator failing with exit code : $ewr_code"
            trace_log_message "Please check $CONFIGURE_ERRORS_JSON file for more details."
        fi
    fi
    trace_log_message "Configurator exiting with code: $ewr_code"
    [ -n "$CLI_ERRORS" ] && rm -f "$CLI_ERRORS"
    exit "$ewr_code"
}

# fail CODE ERROR_NAME MESSAGE: report, record in the errors json, mark the configuration failed.
fail() {
    trace_log_message "$3"
    log_error_json "$CONFIGURE_ERRORS_JSON" "$2" "$3"
    if [ -e "$VX_VERSION_FILE" ]; then
        sed -i -e '/^AGENT_CONFIGURATION_STATUS/d' "$VX_VERSION_FILE"
        echo "AGENT_CONFIGURATION_STATUS=Failed" >> "$VX_VERSION_FILE"
    fi
    exit_with_retcode "$1"
}

# rcm_cli ARGS...: run AzureRcmCli; its "Error: ..." lines are shown and logged.
rcm_cli() {
    trace_log_message -q "Executing the command : $AGENT_INSTALL_DIR/bin/AzureRcmCli $*"
    # shellcheck disable=SC2094  # --logfile is only passed on, as the real script does
    "$AGENT_INSTALL_DIR/bin/AzureRcmCli" "$@" --errorfilepath "$CONFIGURE_ERRORS_JSON" \
        --logfile "$LOGFILE" >> "$LOGFILE" 2> "$CLI_ERRORS"
    rc_ret=$?
    while IFS= read -r line; do
        trace_log_message "$line"
    done < "$CLI_ERRORS"
    trace_log_message -q "AzureRcmCli operation exit code : $rc_ret"
    return "$rc_ret"
}

mark_configured() {
    sed -i -e '/^AGENT_CONFIGURATION_STATUS/d' "$VX_VERSION_FILE"
    echo "AGENT_CONFIGURATION_STATUS=Succeeded" >> "$VX_VERSION_FILE"
    cp -f "$DRSCOUT_CONF" "$AGENT_INSTALL_DIR/drscout.conf.initialbackup"
}

if [ "$#" -ge 1 ] && echo "$1" | grep -q '^-'; then
    while getopts ":i:e:l:C:P:S:D:U:m:j:c:p:r:f:qh" opt; do
        case "$opt" in
            i) CS_IP_ADDRESS="$OPTARG" ;;
            e) ;;
            l) LOGFILE="$OPTARG" ;;
            P) PASSPHRASE_FILE="$OPTARG" ;;
            S) SOURCE_CONFIG_FILE="$OPTARG" ;;
            C) usage
               echo "Error: -C (Azure-to-Azure credentials) is not supported by this lab stand-in" >&2
               exit 96 ;;
            D) case "$OPTARG" in
                   true) DISCOVERY=1 ;;
                   false) DISCOVERY=0 ;;
                   *) usage
                      exit 96 ;;
               esac ;;
            U) UNCONFIGURE="$OPTARG" ;;
            m|j|r) ;;
            c) CS_TYPE="$OPTARG"
               if [ "$CS_TYPE" != "CSLegacy" ] && [ "$CS_TYPE" != "CSPrime" ]; then
                   usage
                   exit 96
               fi ;;
            p) CS_PORT="$OPTARG" ;;
            f) CONFIGURE_ERRORS_JSON="$OPTARG" ;;
            q) ;;
            h) usage
               exit 0 ;;
            *) trace_log_message -q "Specify the CS registration options to the command-line!"
               usage
               exit 96 ;;
        esac
    done
    shift $((OPTIND - 1))
    if [ "$#" -ne 0 ]; then
        usage
        exit 96
    fi
elif [ "$#" -ge 1 ]; then
    usage
    exit 96
fi

[ -n "$CS_TYPE" ] || CS_TYPE="CSLegacy"
[ -n "$CONFIGURE_ERRORS_JSON" ] || CONFIGURE_ERRORS_JSON="$DEFAULT_ERRORS_JSON"
mkdir -p "$(dirname "$LOGFILE")"
echo "Value of cstype is $CS_TYPE"
trace_log_message -q
trace_log_message -q "AGENT CONFIGURATION"
trace_log_message -q "*******************"

if [ "$(id -u)" -ne 0 ]; then
    trace_log_message "The configurator must be run as root."
    exit_with_retcode "$RC_FAILED"
fi
if [ ! -e "$VX_VERSION_FILE" ]; then
    echo "Vx agent is not installed."
    exit_with_retcode "$RC_FAILED"
fi
AGENT_INSTALL_DIR=$(vx_get INSTALLATION_DIR)
DRSCOUT_CONF="$AGENT_INSTALL_DIR/etc/drscout.conf"
VM_PLATFORM=$(conf_get "$DRSCOUT_CONF" VmPlatform)
AGENT_CSIP=$(conf_get "$DRSCOUT_CONF" Hostname)
AGENT_CSPORT=$(conf_get "$DRSCOUT_CONF" Port)
CLI_ERRORS=$(mktemp)

if [ "$VM_PLATFORM" != "VmWare" ]; then
    fail 1 ASRMobilityServiceVMPlatformNotSet "Aborting configuration as VM_PLATFORM value is either null or it is not VmWare/Azure."
fi

if [ -n "$UNCONFIGURE" ]; then
    # Unregister from the appliance and forget the source configuration (the real -U true).
    "$AGENT_INSTALL_DIR/bin/vxagent" stop >> "$LOGFILE" 2>&1
    rcm_cli --unregistermachine
    ret=$?
    rm -f "$AGENT_INSTALL_DIR/etc/SourceConfig.json"
    conf_set "$DRSCOUT_CONF" HostId ""
    for key in DrLabApplianceId DrLabApplianceName DrLabRegisteredAt DrLabRegistrationUri; do
        sed -i -e "/^$key=/d" "$DRSCOUT_CONF"
    done
    sed -i -e '/^AGENT_CONFIGURATION_STATUS/d' "$VX_VERSION_FILE"
    [ "$ret" -eq 0 ] || ret=$RC_FAILED_WITH_ERRORS
    exit_with_retcode "$ret"
fi

if [ "$CS_TYPE" = "CSPrime" ]; then
    if [ -z "$SOURCE_CONFIG_FILE" ] || [ ! -f "$SOURCE_CONFIG_FILE" ]; then
        fail 1 ASRMobilityServiceSourceConfigNotFound "Unable to find Source config file : $SOURCE_CONFIG_FILE"
    fi
else
    if [ -z "$CS_IP_ADDRESS" ] || [ -z "$PASSPHRASE_FILE" ]; then
        trace_log_message "Interactive configuration is not supported by this lab stand-in: pass -i <CS IP> and -P <passphrase file>."
        usage
        exit_with_retcode "$RC_INVALID_ARGUMENTS"
    fi
    if [ ! -f "$PASSPHRASE_FILE" ]; then
        fail 1 ASRMobilityServicePassphraseFileNotFound "Passphrase file passed to the installer does not exist."
    fi
    CS_PORT_NUMBER=${CS_PORT:-443}
    if [ -n "$AGENT_CSIP" ] && [ -n "$AGENT_CSPORT" ]; then
        if [ "$AGENT_CSIP" = "$CS_IP_ADDRESS" ] && [ "$AGENT_CSPORT" = "$CS_PORT_NUMBER" ]; then
            trace_log_message -q "Agent is already registerd to same Configuration server ($AGENT_CSIP:$AGENT_CSPORT)."
        else
            trace_log_message "Agent is already registerd to different Configuration server ($AGENT_CSIP:$AGENT_CSPORT)."
            exit_with_retcode "$RC_AGENT_POINTING_TO_DIFFERENT_CS"
        fi
    fi
fi

sed -i -e '/^AGENT_CONFIGURATION_STATUS/d' "$VX_VERSION_FILE"
HOST_ID=$(conf_get "$DRSCOUT_CONF" HostId)
if [ -z "$HOST_ID" ] || [ "$HOST_ID" = "1234_45466_67689" ]; then
    HOST_ID=$(cat /proc/sys/kernel/random/uuid)
    trace_log_message -q "Writing HostId=$HOST_ID to $DRSCOUT_CONF"
    conf_set "$DRSCOUT_CONF" HostId "$HOST_ID"
fi
trace_log_message "Stopping Vx agent service..."
"$AGENT_INSTALL_DIR/bin/vxagent" stop >> "$LOGFILE" 2>&1

if [ "$CS_TYPE" = "CSPrime" ]; then
    rcm_cli --verifyclientauth --configfile "$SOURCE_CONFIG_FILE" ||
        fail "$RC_FAILED_WITH_ERRORS" ASRMobilityServiceInvalidSourceConfig "The source config file $SOURCE_CONFIG_FILE is not valid for this machine."
    rcm_cli --registermachine
    ret=$?
    if [ "$ret" -ne 0 ]; then
        fail "$RC_FAILED_WITH_ERRORS" ASRMobilityServiceRegistrationFailed "Agent registration has failed."
    fi
    conf_set "$DRSCOUT_CONF" CSType CSPrime
    conf_set_spaced "$DRSCOUT_CONF" Hostname ""
    conf_set "$DRSCOUT_CONF" PlatformChangeToCSPrime false
    conf_set "$DRSCOUT_CONF" RcmSettingsPath "$INMAGE_DIR/config/RCMInfo.conf"
    if [ -n "$DISCOVERY" ] || [ -z "$(conf_get "$DRSCOUT_CONF" IsCredentialLessDiscovery)" ]; then
        conf_set "$DRSCOUT_CONF" IsCredentialLessDiscovery "${DISCOVERY:-0}"
    fi
    trace_log_message "RCM agent registration has completed successfully."
else
    mkdir -p "$INMAGE_DIR/private"
    cp -f "$PASSPHRASE_FILE" "$INMAGE_DIR/private/connection.passphrase"
    chmod 700 "$INMAGE_DIR/private/connection.passphrase"
    trace_log_message "Validating the passphrase."
    rcm_cli --registerhost --csip "$CS_IP_ADDRESS" --csport "$CS_PORT_NUMBER" \
        --passphrasefile "$INMAGE_DIR/private/connection.passphrase"
    ret=$?
    if [ "$ret" -eq 3 ] || [ "$ret" -eq 4 ]; then
        trace_log_message "Unable to establish a connection with Configuration server."
        rm -f "$INMAGE_DIR/private/connection.passphrase"
        fail "$RC_INVALID_PASSPHRASE_OR_CS" ASRMobilityServiceCSConnectionFailed "Either wrong FQDN/IP/Passphrase has been provided. Aborting the installation."
    elif [ "$ret" -ne 0 ]; then
        rm -f "$INMAGE_DIR/private/connection.passphrase"
        fail "$RC_AGENT_REGISTRATION_FAILED" ASRMobilityServiceRegistrationFailed "Agent registration has failed."
    fi
    conf_set "$DRSCOUT_CONF" CSType CSLegacy
    conf_set_spaced "$DRSCOUT_CONF" Hostname "$CS_IP_ADDRESS"
    conf_set_spaced "$DRSCOUT_CONF" Port "$CS_PORT_NUMBER"
    sed -i -e '/^RcmSettingsPath/d' "$DRSCOUT_CONF"
    trace_log_message "Agent registration has completed successfully."
fi
mark_configured
"$AGENT_INSTALL_DIR/bin/vxagent" start >> "$LOGFILE" 2>&1
trace_log_message "Agent configuration is completed successfully."
exit_with_retcode "$RC_SUCCESS"
