<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_GB" sourcelanguage="zh_CN">
<context>
    <name>Hall</name>
    <message>
        <source>衡水市应急指挥平台 — 指挥大厅</source>
        <translation>Hengshui Emergency Command — Command Hall</translation>
    </message>
    <message>
        <source>衡水市应急指挥平台 · 态势总览</source>
        <translation>Hengshui Emergency Command · Situation</translation>
    </message>
    <message>
        <source>衡水市应急指挥平台 — 指挥席</source>
        <translation>Hengshui Emergency Command — Desk</translation>
    </message>
    <message>
        <source>正在连接指挥中心…</source>
        <translation>Connecting to the command centre…</translation>
    </message>
    <message>
        <source>事件</source>
        <translation>Incidents</translation>
    </message>
    <message>
        <source>研判</source>
        <translation>Assessment</translation>
    </message>
    <message>
        <source>单位</source>
        <translation>Units</translation>
    </message>
    <message>
        <source>调度</source>
        <translation>Dispatch</translation>
    </message>
    <message>
        <source>值班</source>
        <translation>Duty</translation>
    </message>
    <message>
        <source>统计</source>
        <translation>Statistics</translation>
    </message>
    <message>
        <source>● 已连接</source>
        <translation>● Connected</translation>
    </message>
    <message>
        <source>● 未连接</source>
        <translation>● Not connected</translation>
    </message>
    <message>
        <source>无报警</source>
        <translation>No alarms</translation>
    </message>
    <message>
        <source>静音</source>
        <translation>Mute</translation>
    </message>
    <message>
        <source>接收方（终端名）</source>
        <translation>Recipient (device name)</translation>
    </message>
    <message>
        <source>指令内容</source>
        <translation>Order text</translation>
    </message>
    <message>
        <source>下达指令</source>
        <translation>Issue order</translation>
    </message>
    <message>
        <source>指令</source>
        <translation>Order</translation>
    </message>
    <message>
        <source>接收方</source>
        <translation>Recipient</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>内容</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>已过(秒)</source>
        <translation>Age (s)</translation>
    </message>
    <message>
        <source>标题</source>
        <translation>Title</translation>
    </message>
    <message>
        <source>等级</source>
        <translation>Level</translation>
    </message>
    <message>
        <source>区县</source>
        <translation>County</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>报告</source>
        <translation>Reports</translation>
    </message>
    <message>
        <source>更新</source>
        <translation>Updated</translation>
    </message>
    <message>
        <source>导出报告（PDF）</source>
        <translation>Export report (PDF)</translation>
    </message>
    <message>
        <source>全部等级</source>
        <translation>All levels</translation>
    </message>
    <message>
        <source>全部状态</source>
        <translation>All states</translation>
    </message>
    <message>
        <source>全部区县</source>
        <translation>All counties</translation>
    </message>
    <message>
        <source>全部类型</source>
        <translation>All types</translation>
    </message>
    <message>
        <source>呼号</source>
        <translation>Callsign</translation>
    </message>
    <message>
        <source>纬度</source>
        <translation>Latitude</translation>
    </message>
    <message>
        <source>经度</source>
        <translation>Longitude</translation>
    </message>
    <message>
        <source>速度 km/h</source>
        <translation>Speed km/h</translation>
    </message>
    <message>
        <source>更新(秒前)</source>
        <translation>Updated (s ago)</translation>
    </message>
    <message>
        <source>风向(来向°)</source>
        <translation>Wind from (°)</translation>
    </message>
    <message>
        <source>风速 m/s</source>
        <translation>Wind m/s</translation>
    </message>
    <message>
        <source>启动预案</source>
        <translation>Activate plan</translation>
    </message>
    <message>
        <source>值班记录（来电、指示、记事…）</source>
        <translation>Duty log entry (call, instruction, note…)</translation>
    </message>
    <message>
        <source>记录</source>
        <translation>Log</translation>
    </message>
    <message>
        <source>预警·报送</source>
        <translation>Warnings · Relay</translation>
    </message>
    <message>
        <source>外部预警（气象、地震等）</source>
        <translation>Warnings from outside (weather, earthquake …)</translation>
    </message>
    <message>
        <source>预警</source>
        <translation>Warning</translation>
    </message>
    <message>
        <source>发布单位</source>
        <translation>Issued by</translation>
    </message>
    <message>
        <source>有效至</source>
        <translation>Until</translation>
    </message>
    <message>
        <source>本市</source>
        <translation>Here</translation>
    </message>
    <message>
        <source>确认为事件</source>
        <translation>Confirm as incident</translation>
    </message>
    <message>
        <source>只读：未连接指挥中心</source>
        <translation>Read-only: not connected to the command centre</translation>
    </message>
    <message>
        <source>向上报送（省级平台）</source>
        <translation>Relay up (provincial platform)</translation>
    </message>
    <message>
        <source>未配置报送目的地</source>
        <translation>No relay destination configured</translation>
    </message>
    <message>
        <source>防御指引</source>
        <translation>What to do</translation>
    </message>
    <message>
        <source>范围</source>
        <translation>Area</translation>
    </message>
    <message>
        <source>已确认为事件</source>
        <translation>Confirmed as incident</translation>
    </message>
    <message>
        <source>正在确认…</source>
        <translation>Confirming…</translation>
    </message>
    <message>
        <source>已确认为事件，见事件列表</source>
        <translation>Confirmed: see the incident list</translation>
    </message>
    <message>
        <source>指挥中心未应答：已排队，恢复连接后发送</source>
        <translation>No answer from the command centre: queued, sent when the link returns</translation>
    </message>
    <message>
        <source>书面报告上报</source>
        <translation>File written report</translation>
    </message>
    <message>
        <source>生成正式报告（PDF），作为书面报告报送，随省级报送一并发出</source>
        <translation>Make the official report (PDF) and file it as a written report; the relay sends it up</translation>
    </message>
    <message>
        <source>正在上报书面报告…</source>
        <translation>Filing the written report…</translation>
    </message>
    <message>
        <source>书面报告已报送（PDF 随报告上报省级平台）</source>
        <translation>Written report filed (the PDF goes up with it)</translation>
    </message>
    <message>
        <source>确认求救</source>
        <translation>Acknowledge SOS</translation>
    </message>
    <message>
        <source>指挥中心未应答：已排队</source>
        <translation>No answer from the command centre: queued</translation>
    </message>
    <message>
        <source>视频</source>
        <translation>Video</translation>
    </message>
    <message>
        <source>视频墙: 打开本页时启动</source>
        <translation>Video wall: starts when this page is opened</translation>
    </message>
    <message>
        <source>  ·  无画面 {s:.0f} 秒</source>
        <translation>  ·  no picture for {s:.0f} s</translation>
    </message>
    <message>
        <source>  · 排队: {q}</source>
        <translation>  · queue: {q}</translation>
    </message>
    <message>
        <source>  · 本席被抢占</source>
        <translation>  · this desk was pre-empted</translation>
    </message>
    <message>
        <source>16 个画面已满: 先挂断一路</source>
        <translation>All 16 tiles are in use: end a feed first</translation>
    </message>
    <message>
        <source>{n} 画面</source>
        <translation>{n} tiles</translation>
    </message>
    <message>
        <source>先选中一个画面和接收单位</source>
        <translation>Select a tile and the unit to send it to first</translation>
    </message>
    <message>
        <source>回放</source>
        <translation>Play back</translation>
    </message>
    <message>
        <source>回放失败: {e}</source>
        <translation>Playback failed: {e}</translation>
    </message>
    <message>
        <source>回放结束</source>
        <translation>Playback finished</translation>
    </message>
    <message>
        <source>声音: 跟随所选画面</source>
        <translation>Sound: follows the selected tile</translation>
    </message>
    <message>
        <source>对讲 {g}: {w} 正在讲话</source>
        <translation>Talk group {g}: {w} is talking</translation>
    </message>
    <message>
        <source>对讲 {g}: 空闲</source>
        <translation>Talk group {g}: free</translation>
    </message>
    <message>
        <source>对讲: 空闲</source>
        <translation>Talk group: free</translation>
    </message>
    <message>
        <source>对讲组</source>
        <translation>Talk group</translation>
    </message>
    <message>
        <source>对讲组 {g}: {n} 个成员</source>
        <translation>Talk group {g}: {n} members</translation>
    </message>
    <message>
        <source>对讲组建立失败: {e}</source>
        <translation>Could not open the talk group: {e}</translation>
    </message>
    <message>
        <source>导出…</source>
        <translation>Export…</translation>
    </message>
    <message>
        <source>导出到</source>
        <translation>Export to</translation>
    </message>
    <message>
        <source>导出失败: {e}</source>
        <translation>Export failed: {e}</translation>
    </message>
    <message>
        <source>已导出: {p}</source>
        <translation>Exported: {p}</translation>
    </message>
    <message>
        <source>已结束</source>
        <translation>Ended</translation>
    </message>
    <message>
        <source>已转发 {p} 的画面给 {d}</source>
        <translation>Forwarded {p}'s picture to {d}</translation>
    </message>
    <message>
        <source>布局</source>
        <translation>Layout</translation>
    </message>
    <message>
        <source>建立对讲组</source>
        <translation>Open talk group</translation>
    </message>
    <message>
        <source>录制中</source>
        <translation>recording</translation>
    </message>
    <message>
        <source>扬声器无法打开: {e}</source>
        <translation>The loudspeaker cannot be opened: {e}</translation>
    </message>
    <message>
        <source>挂断所选</source>
        <translation>End selected</translation>
    </message>
    <message>
        <source>指挥大厅挂断</source>
        <translation>ended by the command hall</translation>
    </message>
    <message>
        <source>按住讲话</source>
        <translation>Hold to talk</translation>
    </message>
    <message>
        <source>未关联事件</source>
        <translation>no incident</translation>
    </message>
    <message>
        <source>本席</source>
        <translation>this desk</translation>
    </message>
    <message>
        <source>正在调看 {d} 的视频…</source>
        <translation>Opening {d}'s video…</translation>
    </message>
    <message>
        <source>正在调看监控 {n}</source>
        <translation>Opening camera {n}</translation>
    </message>
    <message>
        <source>没有可用的扬声器: 现场声音不播放 (仍在录制)</source>
        <translation>No loudspeaker: the scene's sound is not played (still recorded)</translation>
    </message>
    <message>
        <source>没有在线的现场单位可调看</source>
        <translation>No field unit online to watch</translation>
    </message>
    <message>
        <source>没有登记视频地址的监控点</source>
        <translation>No camera with a registered stream address</translation>
    </message>
    <message>
        <source>监控调看失败: {e}</source>
        <translation>Could not open the camera: {e}</translation>
    </message>
    <message>
        <source>空闲</source>
        <translation>Free</translation>
    </message>
    <message>
        <source>调看失败: {e}</source>
        <translation>Could not open the video: {e}</translation>
    </message>
    <message>
        <source>调看监控</source>
        <translation>Watch camera</translation>
    </message>
    <message>
        <source>调看视频</source>
        <translation>Watch unit</translation>
    </message>
    <message>
        <source>转发失败: {e}</source>
        <translation>Forwarding failed: {e}</translation>
    </message>
    <message>
        <source>转发所选画面</source>
        <translation>Forward selected</translation>
    </message>
    <message>
        <source>选一个空闲画面来回放</source>
        <translation>Select a free tile to play back into</translation>
    </message>
    <message>
        <source>需要一个进行中的事件和在线的现场单位</source>
        <translation>Needs an open incident and field units online</translation>
    </message>
</context>
</TS>
