"""CAP documents shaped like those real services publish (written for these tests): a
Chinese meteorological blizzard warning over Hengshui, a US-style flood warning, a European
geocode-only warning, CAP 1.1, an Atom feed, an EDXL-DE envelope — and bad ones."""

from __future__ import annotations

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"


def cma_blizzard(
    identifier: str = "CN-HE-1311-20261125-BLIZ",
    *,
    msg_type: str = "Alert",
    references: str = "",
    status: str = "Actual",
    expires: str = "2099-11-26T20:00:00+08:00",
) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP12}">
  <identifier>{identifier}</identifier>
  <sender>13110041600000@hebei.weather</sender>
  <sent>2026-11-25T08:00:00+08:00</sent>
  <status>{status}</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>
  {refs}
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雪</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <expires>{expires}</expires>
    <senderName>衡水市气象台</senderName>
    <headline>衡水市气象台发布暴雪橙色预警信号</headline>
    <description>预计未来12小时内衡水市大部地区将出现暴雪，降雪量可达10毫米以上。</description>
    <instruction>注意防寒保暖，减少出行。</instruction>
    <area>
      <areaDesc>衡水市桃城区、冀州区、枣强县</areaDesc>
      <polygon>37.45,115.45 37.85,115.45 37.85,115.85 37.45,115.85 37.45,115.45</polygon>
      <geocode><valueName>GB/T 2260</valueName><value>131102</value></geocode>
    </area>
  </info>
</alert>""".encode()


US_FLOOD = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP12}">
  <identifier>urn:oid:2.49.0.1.840.0.4a5b6c7d.001.1</identifier>
  <sender>w-nws.webmaster@noaa.gov</sender>
  <sent>2026-11-24T14:31:00-06:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <code>IPAWSv1.0</code>
  <info>
    <language>en-US</language><category>Met</category><event>Flood Warning</event>
    <responseType>Avoid</responseType>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <eventCode><valueName>SAME</valueName><value>FLW</value></eventCode>
    <expires>2099-11-25T14:30:00-06:00</expires>
    <senderName>NWS Somewhere</senderName>
    <headline>Flood Warning issued for a river</headline>
    <description>The river is expected to rise above flood stage.</description>
    <parameter><valueName>VTEC</valueName><value>/O.NEW.KXXX.FL.W.0001.000000T0000Z-000000T0000Z/</value></parameter>
    <area>
      <areaDesc>Some County</areaDesc>
      <polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>
      <geocode><valueName>SAME</valueName><value>006003</value></geocode>
    </area>
  </info>
</alert>""".encode()

EU_GEOCODE_ONLY = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP12}">
  <identifier>2.49.0.0.276.0.DWD.PVW.1700000000000.abc</identifier>
  <sender>opendata@dwd.de</sender>
  <sent>2026-11-24T10:00:00+01:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>de-DE</language><category>Met</category><event>STURMBÖEN</event>
    <urgency>Immediate</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <expires>2099-11-24T18:00:00+01:00</expires>
    <headline>Amtliche WARNUNG vor STURMBÖEN</headline>
    <area><areaDesc>Kreis X</areaDesc>
      <geocode><valueName>WARNCELLID</valueName><value>105315000</value></geocode></area>
  </info>
</alert>""".encode()

CAP11 = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1">
  <identifier>EQ-2026-11-25-001</identifier>
  <sender>cenc@earthquake.cn</sender>
  <sent>2026-11-25T09:12:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <category>Geo</category><event>地震</event>
    <urgency>Past</urgency><severity>Moderate</severity><certainty>Observed</certainty>
    <headline>河北衡水市冀州区发生4.2级地震</headline>
    <area><areaDesc>震中 37.55,115.58</areaDesc><circle>37.55,115.58 30</circle></area>
  </info>
</alert>""".encode()


def atom_feed(inline: bytes, link: str) -> bytes:
    body = inline.split(b"?>", 1)[1]
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>warnings</title><id>urn:feed</id><updated>2026-11-25T08:00:00+08:00</updated>"
        b"<entry><title>inline</title><id>urn:e1</id><updated>2026-11-25T08:00:00+08:00</updated>"
        b'<content type="application/cap+xml">' + body + b"</content></entry>"
        b"<entry><title>Flood Warning</title><id>urn:e2</id>"
        b"<updated>2026-11-25T08:00:00+08:00</updated>"
        b'<link rel="alternate" type="application/cap+xml" href="' + link.encode() + b'"/></entry>'
        b"</feed>"
    )


def edxl_wrapped(inner: bytes) -> bytes:
    body = inner.split(b"?>", 1)[1]
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0">'
        b"<distributionID>DE-1</distributionID><senderID>met@hebei</senderID>"
        b"<dateTimeSent>2026-11-25T08:00:00+08:00</dateTimeSent>"
        b"<distributionStatus>Actual</distributionStatus><distributionType>Report</distributionType>"
        b"<combinedConfidentiality>UNCLASSIFIED AND NOT SENSITIVE</combinedConfidentiality>"
        b"<contentObject><xmlContent><embeddedXMLContent>"
        + body
        + b"</embeddedXMLContent></xmlContent></contentObject></EDXLDistribution>"
    )


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>"""

CAP10 = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="http://www.incident.com/cap/1.0">
  <identifier>HB-MET-2026-1125-07</identifier>
  <sender>hebei-met@weather.cn</sender>
  <sent>2026-11-25T08:40:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <category>Met</category><event>大风</event>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <headline>衡水市气象台发布大风蓝色预警</headline>
    <area><areaDesc>衡水市</areaDesc><circle>37.74,115.67 40</circle></area>
  </info>
</alert>""".encode()
