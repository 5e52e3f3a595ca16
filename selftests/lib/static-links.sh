# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Static-key MACsec and ESP between the two gateways of topo.sh: the
# baseline that the QKD-keyed versions are tested and measured against.

key1=00112233445566778899aabbccddeeff
key2=ffeeddccbbaa99887766554433221100
keyid1=01
keyid2=02

# setup_macsec TXKEY_GW1 RXKEY_GW2: gw2 decodes gw1 with RXKEY_GW2.
setup_macsec()
{
	local tx1=$1 rx2=$2
	local mac1 mac2

	mac1=$(ip1 -br link show veth0 | awk '{ print $3 }')
	mac2=$(ip2 -br link show veth0 | awk '{ print $3 }')
	ip1 link add link veth0 macsec0 type macsec port 1 encrypt on
	ip2 link add link veth0 macsec0 type macsec port 1 encrypt on
	ip1 macsec add macsec0 tx sa 0 pn 1 on key $keyid1 "$tx1"
	ip2 macsec add macsec0 tx sa 0 pn 1 on key $keyid1 "$key1"
	ip1 macsec add macsec0 rx port 1 address "$mac2"
	ip2 macsec add macsec0 rx port 1 address "$mac1"
	ip1 macsec add macsec0 rx port 1 address "$mac2" sa 0 pn 1 on key $keyid1 "$key1"
	ip2 macsec add macsec0 rx port 1 address "$mac1" sa 0 pn 1 on key $keyid2 "$rx2"
	ip1 addr add 10.1.0.1/24 dev macsec0
	ip2 addr add 10.1.0.2/24 dev macsec0
	ip1 link set macsec0 up
	ip2 link set macsec0 up
}

teardown_macsec()
{
	ip1 link del macsec0 2>/dev/null || true
	ip2 link del macsec0 2>/dev/null || true
}

setup_esp()
{
	local k=0x0123456789abcdef0123456789abcdef01234567
	local alg="aead rfc4106(gcm(aes)) $k 128"

	for i in 1 2; do
		ip$i xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 \
			mode transport $alg
		ip$i xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x1002 \
			mode transport $alg
	done
	ip1 xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir out \
		tmpl proto esp mode transport
	ip1 xfrm policy add src 10.0.0.2 dst 10.0.0.1 dir in \
		tmpl proto esp mode transport
	ip2 xfrm policy add src 10.0.0.2 dst 10.0.0.1 dir out \
		tmpl proto esp mode transport
	ip2 xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir in \
		tmpl proto esp mode transport
}

teardown_esp()
{
	ip1 xfrm state flush; ip1 xfrm policy flush
	ip2 xfrm state flush; ip2 xfrm policy flush
}

# esp_packets NS SPI: packets the SA with that SPI has processed in NS.
esp_packets()
{
	$1 ip -s xfrm state list spi "$2" |
		sed -n 's/.*(bytes), *\([0-9]*\)(packets).*/\1/p' | head -n 1
}

