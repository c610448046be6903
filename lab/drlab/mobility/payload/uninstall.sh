#!/bin/sh
# dr.asr LAB STAND-IN of the Mobility service's uninstall.sh (installed as <install dir>/uninstall.sh).
#   uninstall.sh [ -Y ] [ -L <Absolute path of the log file (default:/var/log/ua_uninstall.log)> ] [ -h ]
# Unregisters from the appliance / configuration server (best effort), then removes the agent.

LANG=C
export LANG
UNINST_LOG=/var/log/ua_uninstall.log
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)

Usage() {
    echo
    echo "Usage: $0 [ -Y ] [ -L <Absolute path of the log file (default:/var/log/ua_uninstall.log)> ] [ -h ]"
    echo && exit 1
}

SILENT_UNINSTALL=""
if echo "$1" | grep -q '^-'; then
    while getopts ":L:hY" OPT; do
        case $OPT in
            L) UNINST_LOG="$OPTARG" ;;
            Y) SILENT_UNINSTALL="yes" ;;
            *) Usage ;;
        esac
    done
    shift $((OPTIND - 1))
    [ "$#" -eq 0 ] || Usage
elif [ -n "$1" ]; then
    Usage
fi
case "$UNINST_LOG" in
    /*) ;;
    *) echo "Error: Unintallation logfile must be an absolute path (i.e. beginning with a \"/\")."
       Usage ;;
esac

if [ "$SILENT_UNINSTALL" != "yes" ]; then
    printf 'Do you really want to uninstall the Unified Agent? (Y/N) [default N] : '
    ans=""
    read -r ans || ans=""
    case "$ans" in
        [Yy]) ;;
        *) echo "Bye..."
           exit 1 ;;
    esac
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "Error: uninstall.sh must be run as root."
    exit 1
fi

LOGFILE="$UNINST_LOG"
mkdir -p "$(dirname "$LOGFILE")"
VX_VERSION_FILE=/usr/local/.vx_version
VX_INSTALL_DIR=$(grep '^INSTALLATION_DIR=' "$VX_VERSION_FILE" 2>/dev/null | cut -d= -f2-)
if [ -z "$VX_INSTALL_DIR" ] || [ ! -f "$VX_INSTALL_DIR/bin/libcommon.sh" ]; then
    echo "Either FX or VX is not installed in the setup ..."
    echo "Cannot proceed with uninstallation ..."
    echo "Check the log file $UNINST_LOG for detailed diagnostic messages during uninstallation ..."
    exit 1
fi
# shellcheck source=Vx/bin/libcommon.sh
. "$VX_INSTALL_DIR/bin/libcommon.sh"
UA_INSTALL_DIR=$(dirname "$VX_INSTALL_DIR")

trace_log_message -q "UA UNINSTALLATION"
trace_log_message -q "-----------------------------------"
trace_log_message
trace_log_message "Stopping VX agent service..."
"$VX_INSTALL_DIR/bin/vxagent" stop >> "$LOGFILE" 2>&1

if [ "$(vx_get AGENT_CONFIGURATION_STATUS)" = "Succeeded" ]; then
    trace_log_message "Unregistering the agent ..."
    if "$VX_INSTALL_DIR/bin/AzureRcmCli" --unregistermachine >> "$LOGFILE" 2>&1; then
        trace_log_message -q "Unregistered the agent."
    else
        trace_log_message "Could not unregister the agent (continuing with the uninstallation)."
    fi
fi

trace_log_message "Uninstalling the VX agent ..."
rm -rf "$VX_INSTALL_DIR"
rm -f "$VX_VERSION_FILE" "$DRSCOUT_LINK" /usr/local/drscout.conf.lck /usr/local/.norespawn_*
rm -rf "$INMAGE_DIR/certs" "$INMAGE_DIR/fingerprints" "$INMAGE_DIR/private" "$INMAGE_DIR/config"
rmdir "$INMAGE_DIR" 2>/dev/null
rm -f "$UA_INSTALL_DIR/Third-Party_Notices.txt" "$UA_INSTALL_DIR/uninstall.sh" "$UA_INSTALL_DIR/.uninstall.lck"
rmdir "$UA_INSTALL_DIR" 2>/dev/null
[ "$SCRIPT_DIR" = "$UA_INSTALL_DIR" ] || trace_log_message -q "uninstall.sh ran from $SCRIPT_DIR"

trace_log_message -q "END OF UA UNINSTALLATION"
trace_log_message -q "************************"
trace_log_message "Check the log file $UNINST_LOG for detailed diagnostic messages during uninstallation ..."
exit 0
