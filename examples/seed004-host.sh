#!/usr/bin/env bash
# Seed 004's host, with ovsvirt: the OVS bridge, the VLAN 140 fake bridge, a host port on VLAN 120,
# a trunk uplink, VXLAN to the other node, the two libvirt networks, and one VM's NICs.
# Try it safely against the sandbox:   DB=$(ovsvirt sandbox) examples/seed004-host.sh
# Every command is idempotent (--may-exist / redefinition), so the script can run again after a failover.
set -euo pipefail
db=${DB:-unix:/var/run/openvswitch/db.sock}
uri=${LIBVIRT_URI:-qemu:///system}
uplink=${UPLINK:-ens3f4}
peer=${PEER_IP:-10.43.11.12}
ovsvirt=${OVSVIRT:-ovsvirt}

$ovsvirt bridge add ovsbr0 --may-exist --db "$db"
$ovsvirt bridge add brlv140 --parent ovsbr0 --vlan 140 --may-exist --db "$db"
$ovsvirt port add ovsbr0 vlan120 --access 120 --internal --may-exist --db "$db"
$ovsvirt port add ovsbr0 "$uplink" --trunk 120,130 --may-exist --db "$db"
$ovsvirt tunnel add ovsbr0 vxlan0 --type vxlan --remote-ip "$peer" --may-exist --db "$db"

if [[ -n ${VM:-} ]]; then
  $ovsvirt net define ovsvl --bridge brlv140 --vlan 140 --start --autostart --db "$db" --connect "$uri"
  $ovsvirt net define ovsvl2 --bridge ovsbr0 --portgroup vlan-120=120 --start --autostart --db "$db" --connect "$uri"
  $ovsvirt attach "$VM" --mac "${VM_MAC1:?}" --network ovsvl --connect "$uri"
  $ovsvirt attach "$VM" --mac "${VM_MAC2:?}" --network ovsvl2 --portgroup vlan-120 --connect "$uri"
  $ovsvirt domain ports "$VM" --db "$db" --connect "$uri"
fi
$ovsvirt show --db "$db"
