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
    <message>
        <source>指挥中心拒绝：{reason}</source>
        <translation>Refused by the command centre: {reason}</translation>
    </message>
    <message>
        <source>人员倒地（无移动）</source>
        <translation>Man down (no movement)</translation>
    </message>
    <message>
        <source>紧急求救 SOS</source>
        <translation>Emergency SOS</translation>
    </message>
    <message>
        <source>未确认</source>
        <translation>not acknowledged</translation>
    </message>
    <message>
        <source>{name}已超时</source>
        <translation>{name} overdue</translation>
    </message>
    <message>
        <source>{name}将到期</source>
        <translation>{name} due soon</translation>
    </message>
    <message>
        <source>【演练】</source>
        <translation>[EXERCISE] </translation>
    </message>
    <message>
        <source>（报警值 {t}）</source>
        <translation> (alarm level {t})</translation>
    </message>
    <message>
        <source>（预警值 {t}）</source>
        <translation> (warning level {t})</translation>
    </message>
    <message>
        <source>报警 {n}（紧急 {urgent}）：</source>
        <translation>Alarms {n} (urgent {urgent}): </translation>
    </message>
    <message>
        <source>已由 {who} 确认</source>
        <translation>acknowledged by {who}</translation>
    </message>
    <message>
        <source>设备 {device} 持续发送异常数据（已切断，请核查并吊销）</source>
        <translation>Device {device} keeps sending malformed data (cut off: check it and revoke it)</translation>
    </message>
    <message>
        <source>｜答复：{note}</source>
        <translation> | answer: {note}</translation>
    </message>
    <message>
        <source>指令未确认：{what}</source>
        <translation>Order not acknowledged: {what}</translation>
    </message>
    <message>
        <source>确认失败（指挥中心拒绝）：{reason}</source>
        <translation>Acknowledgement refused by the command centre: {reason}</translation>
    </message>
    <message>
        <source>学校</source>
        <translation>schools</translation>
    </message>
    <message>
        <source>医院</source>
        <translation>hospitals</translation>
    </message>
    <message>
        <source>化工企业</source>
        <translation>chemical plants</translation>
    </message>
    <message>
        <source>避难场所</source>
        <translation>shelters</translation>
    </message>
    <message>
        <source>无</source>
        <translation>none</translation>
    </message>
    <message>
        <source>正在提交…</source>
        <translation>Submitting…</translation>
    </message>
    <message>
        <source>已启动</source>
        <translation>Activated </translation>
    </message>
    <message>
        <source>已提升至</source>
        <translation>Raised to </translation>
    </message>
    <message>
        <source>已降低至</source>
        <translation>Lowered to </translation>
    </message>
    <message>
        <source>指挥中心未应答：命令已排队</source>
        <translation>The command centre did not answer: the command is queued</translation>
    </message>
    <message>
        <source>在事件列表或地图上选择一个事件</source>
        <translation>Select an incident in the list or on the map</translation>
    </message>
    <message>
        <source>危险区：{model}，面积 {area} km²</source>
        <translation>Hazard zone: {model}, area {area} km²</translation>
    </message>
    <message>
        <source>区内设施：{kinds}；区内人口约 {people} 人（样例人口网格）</source>
        <translation>Facilities inside: {kinds}; about {people} people inside (sample population grid)</translation>
    </message>
    <message>
        <source>进行中</source>
        <translation>active</translation>
    </message>
    <message>
        <source>已终止</source>
        <translation>ended</translation>
    </message>
    <message>
        <source>依据：{criteria}</source>
        <translation>Grounds: {criteria}</translation>
    </message>
    <message>
        <source>{km} km，约 {minutes} 分钟到达</source>
        <translation>{km} km, arriving in about {minutes} min</translation>
    </message>
    <message>
        <source>空余 {free} 人，{km} km</source>
        <translation>room for {free}, {km} km</translation>
    </message>
    <message>
        <source>应急响应：{level}（{state}）</source>
        <translation>Emergency response: {level} ({state})</translation>
    </message>
    <message>
        <source>预案 {plan}，指令 {n} 条</source>
        <translation>Plan {plan}, {n} orders</translation>
    </message>
    <message>
        <source>响应已在该级别</source>
        <translation>The response is already at that level</translation>
    </message>
    <message>
        <source>{done}{numeral}级响应</source>
        <translation>{done}level {numeral} response</translation>
    </message>
    <message>
        <source>未执行（指挥中心拒绝）：{reason}</source>
        <translation>Not done, refused by the command centre: {reason}</translation>
    </message>
    <message>
        <source>{numeral}级响应</source>
        <translation>Level {numeral} response</translation>
    </message>
    <message>
        <source>无法研判：{error}</source>
        <translation>Cannot assess: {error}</translation>
    </message>
    <message>
        <source>调整响应（当前 {numeral}级）</source>
        <translation>Change the response (now level {numeral})</translation>
    </message>
    <message>
        <source>建议等级：</source>
        <translation>Suggested level: </translation>
    </message>
    <message>
        <source>最近可用队伍</source>
        <translation>Nearest available teams</translation>
    </message>
    <message>
        <source>可用避难场所</source>
        <translation>Shelters with room</translation>
    </message>
    <message>
        <source>研判：{title}（{incident}）</source>
        <translation>Assessment: {title} ({incident})</translation>
    </message>
    <message>
        <source>已下达</source>
        <translation>issued</translation>
    </message>
    <message>
        <source>已送达</source>
        <translation>delivered</translation>
    </message>
    <message>
        <source>已确认</source>
        <translation>acknowledged</translation>
    </message>
    <message>
        <source>已接受</source>
        <translation>accepted</translation>
    </message>
    <message>
        <source>已拒绝</source>
        <translation>declined</translation>
    </message>
    <message>
        <source>途中</source>
        <translation>en route</translation>
    </message>
    <message>
        <source>到场</source>
        <translation>on scene</translation>
    </message>
    <message>
        <source>已完成</source>
        <translation>completed</translation>
    </message>
    <message>
        <source>已撤销</source>
        <translation>cancelled</translation>
    </message>
    <message>
        <source>指挥中心未应答：指令已排队，连接恢复后自动发送</source>
        <translation>The command centre did not answer: the order is queued and goes out when the link is back</translation>
    </message>
    <message>
        <source>只读：未连接指挥中心，不能下达指令</source>
        <translation>Read only: not connected to the command centre, orders cannot be issued</translation>
    </message>
    <message>
        <source>请填写接收方和指令内容</source>
        <translation>Fill in the recipient and the order text</translation>
    </message>
    <message>
        <source>正在下达给 {recipient} …</source>
        <translation>Issuing to {recipient} …</translation>
    </message>
    <message>
        <source>未下达（指挥中心拒绝）：{reason}</source>
        <translation>Not issued, refused by the command centre: {reason}</translation>
    </message>
    <message>
        <source>已下达给 {recipient}</source>
        <translation>Issued to {recipient}</translation>
    </message>
    <message>
        <source>来电</source>
        <translation>call</translation>
    </message>
    <message>
        <source>指示</source>
        <translation>instruction</translation>
    </message>
    <message>
        <source>记事</source>
        <translation>note</translation>
    </message>
    <message>
        <source>交接</source>
        <translation>handover</translation>
    </message>
    <message>
        <source>系统</source>
        <translation>system</translation>
    </message>
    <message>
        <source>最近交接：{at} {giver} → {taker}，未结报警 {alarms}、未结指令 {orders}</source>
        <translation>Last handover: {at} {giver} → {taker}, open alarms {alarms}, open orders {orders}</translation>
    </message>
    <message>
        <source>指挥中心未应答：记录已排队</source>
        <translation>The command centre did not answer: the entry is queued</translation>
    </message>
    <message>
        <source>当前值班：</source>
        <translation>On duty now: </translation>
    </message>
    <message>
        <source>（排班表中无当前班次）</source>
        <translation>(no current shift in the roster)</translation>
    </message>
    <message>
        <source>暂无值班记录</source>
        <translation>No duty log entries yet</translation>
    </message>
    <message>
        <source>已记录</source>
        <translation>Recorded</translation>
    </message>
    <message>
        <source>未记录（指挥中心拒绝）：{reason}</source>
        <translation>Not recorded, refused by the command centre: {reason}</translation>
    </message>
    <message>
        <source>已报告</source>
        <translation>reported</translation>
    </message>
    <message>
        <source>已核实</source>
        <translation>verified</translation>
    </message>
    <message>
        <source>响应中</source>
        <translation>responding</translation>
    </message>
    <message>
        <source>已控制</source>
        <translation>stabilised</translation>
    </message>
    <message>
        <source>已关闭</source>
        <translation>closed</translation>
    </message>
    <message>
        <source>初报</source>
        <translation>Initial report</translation>
    </message>
    <message>
        <source>续报</source>
        <translation>Follow-up report</translation>
    </message>
    <message>
        <source>终报</source>
        <translation>Final report</translation>
    </message>
    <message>
        <source>现场</source>
        <translation>field</translation>
    </message>
    <message>
        <source>电话</source>
        <translation>phone</translation>
    </message>
    <message>
        <source>书面</source>
        <translation>written</translation>
    </message>
    <message>
        <source>部门</source>
        <translation>department</translation>
    </message>
    <message>
        <source>县区</source>
        <translation>county</translation>
    </message>
    <message>
        <source>监测</source>
        <translation>monitoring</translation>
    </message>
    <message>
        <source>群众</source>
        <translation>public</translation>
    </message>
    <message>
        <source>未定级</source>
        <translation>Not graded</translation>
    </message>
    <message>
        <source>{numeral}级 {name}</source>
        <translation>Level {numeral} {name}</translation>
    </message>
    <message>
        <source>导出事件报告</source>
        <translation>Export the incident report</translation>
    </message>
    <message>
        <source>请先选择一个事件</source>
        <translation>Select an incident first</translation>
    </message>
    <message>
        <source>死亡 {dead} 失踪 {missing} 重伤 {injured} 被困 {trapped} 转移 {evacuated}</source>
        <translation>dead {dead}, missing {missing}, seriously injured {injured}, trapped {trapped}, evacuated {evacuated}</translation>
    </message>
    <message>
        <source>已超时 {t}</source>
        <translation>overdue {t}</translation>
    </message>
    <message>
        <source>还剩 {t}</source>
        <translation>{t} left</translation>
    </message>
    <message>
        <source>已导出：{path}</source>
        <translation>Exported: {path}</translation>
    </message>
    <message>
        <source>定级依据：{criteria}</source>
        <translation>Grading grounds: {criteria}</translation>
    </message>
    <message>
        <source>{stage} 第{version}版</source>
        <translation>{stage}, version {version}</translation>
    </message>
    <message>
        <source>导出失败：{error}</source>
        <translation>Export failed: {error}</translation>
    </message>
    <message>
        <source>选择一个事件查看详情</source>
        <translation>Select an incident to see its details</translation>
    </message>
    <message>
        <source>未知区县</source>
        <translation>unknown county</translation>
    </message>
    <message>
        <source>报告时限</source>
        <translation>Reporting deadlines</translation>
    </message>
    <message>
        <source>尚无报告</source>
        <translation>No report yet</translation>
    </message>
    <message>
        <source>附件 {n}</source>
        <translation>attachments {n}</translation>
    </message>
    <message>
        <source>指挥中心拒绝了本机的密钥（已吊销、过期或未登记）：请管理员用 command-center enroll 重新登记本机，并导入新的密钥包</source>
        <translation>The command centre refused this machine's key (revoked, expired or not enrolled): ask the administrator to enrol this machine again with command-center enroll and import the new key bundle</translation>
    </message>
    <message>
        <source>单位 {fresh} 在线 / {stale} 失联   事件 {incidents}   终端 在线 {online} · 延迟 {late} · 离线 {off}</source>
        <translation>Units {fresh} live / {stale} lost   Incidents {incidents}   Devices online {online} · late {late} · offline {off}</translation>
    </message>
    <message>
        <source>没有第 {n} 块屏幕（共 {count} 块），窗口留在主屏</source>
        <translation>There is no screen {n} ({count} in all): the window stays on the primary screen</translation>
    </message>
    <message>
        <source>没有第 {n} 块屏幕（共 {count} 块），地图和面板留在同一窗口</source>
        <translation>There is no screen {n} ({count} in all): the map and the panels stay in one window</translation>
    </message>
    <message>
        <source>无法连接指挥中心{where}：请检查网络和指挥中心服务；恢复后自动重连，期间的操作已排队</source>
        <translation>Cannot reach the command centre{where}: check the network and the command centre service; the window reconnects by itself and queues what is done meanwhile</translation>
    </message>
    <message>
        <source>未分类</source>
        <translation>unclassified</translation>
    </message>
    <message>
        <source>未知</source>
        <translation>unknown</translation>
    </message>
    <message>
        <source>按等级</source>
        <translation>By level</translation>
    </message>
    <message>
        <source>按类型</source>
        <translation>By type</translation>
    </message>
    <message>
        <source>按区县</source>
        <translation>By county</translation>
    </message>
    <message>
        <source>首报用时（分钟）</source>
        <translation>Time to first report (minutes)</translation>
    </message>
    <message>
        <source>{title}（共 {n}）</source>
        <translation>{title} (total {n})</translation>
    </message>
    <message>
        <source>特别严重</source>
        <translation>Extreme</translation>
    </message>
    <message>
        <source>严重</source>
        <translation>Severe</translation>
    </message>
    <message>
        <source>较重</source>
        <translation>Moderate</translation>
    </message>
    <message>
        <source>一般</source>
        <translation>General</translation>
    </message>
    <message>
        <source>省级平台</source>
        <translation>Provincial platform</translation>
    </message>
    <message>
        <source>{name}：积压 {queued} 条{age}，已送达 {n}</source>
        <translation>{name}: {queued} waiting{age}, {n} delivered</translation>
    </message>
    <message>
        <source>{name}：已送达 {n}，无积压</source>
        <translation>{name}: {n} delivered, nothing waiting</translation>
    </message>
    <message>
        <source>，最早一条已等 {minutes} 分钟</source>
        <translation>, the oldest for {minutes} min</translation>
    </message>
    <message>
        <source>；第 {n} 次尝试失败：{error}</source>
        <translation>; attempt {n} failed: {error}</translation>
    </message>
    <message>
        <source>（最近写入 {ack}）</source>
        <translation> (last written {ack})</translation>
    </message>
    <message>
        <source>；被拒 {n}：{error}</source>
        <translation>; refused {n}: {error}</translation>
    </message>
    <message>
        <source>定位：{who}</source>
        <translation>Locate: {who}</translation>
    </message>
    <message>
        <source>确认求救：{who}</source>
        <translation>Acknowledge SOS: {who}</translation>
    </message>
    <message>
        <source>；无法生成、已隔离 {n} 条：{note}</source>
        <translation>; {n} could not be written and are quarantined: {note}</translation>
    </message>
    <message>
        <source>是</source>
        <translation>yes</translation>
    </message>
    <message>
        <source>（最近回执 {ack}）</source>
        <translation> (last receipt {ack})</translation>
    </message>
    <message>
        <source>地图资源缺失（{files}）：请运行 ./run setup 获取离线地图资源</source>
        <translation>Map assets missing ({files}): run ./run setup to fetch the offline map assets</translation>
    </message>
    <message>
        <source>MBTiles 不可用：{error}</source>
        <translation>MBTiles unusable: {error}</translation>
    </message>
    <message>
        <source>书面报告</source>
        <translation>Written report</translation>
    </message>
    <message>
        <source>传染病疫情</source>
        <translation>Infectious disease outbreak</translation>
    </message>
    <message>
        <source>伤亡变化补报</source>
        <translation>Casualty change supplement</translation>
    </message>
    <message>
        <source>冀州区</source>
        <translation>Jizhou District</translation>
    </message>
    <message>
        <source>危险化学品事故</source>
        <translation>Hazardous chemicals accident</translation>
    </message>
    <message>
        <source>地震灾害</source>
        <translation>Earthquake</translation>
    </message>
    <message>
        <source>大雾（高速公路团雾）</source>
        <translation>Fog (expressway fog patches)</translation>
    </message>
    <message>
        <source>安平县</source>
        <translation>Anping County</translation>
    </message>
    <message>
        <source>干旱灾害</source>
        <translation>Drought</translation>
    </message>
    <message>
        <source>建筑物坍塌</source>
        <translation>Building collapse</translation>
    </message>
    <message>
        <source>报送省级</source>
        <translation>Report to the province</translation>
    </message>
    <message>
        <source>指令未签收</source>
        <translation>Order not acknowledged</translation>
    </message>
    <message>
        <source>故城县</source>
        <translation>Gucheng County</translation>
    </message>
    <message>
        <source>景县</source>
        <translation>Jing County</translation>
    </message>
    <message>
        <source>暴雪寒潮</source>
        <translation>Blizzard and cold wave</translation>
    </message>
    <message>
        <source>本地瓦片（MBTiles）</source>
        <translation>Local tiles (MBTiles)</translation>
    </message>
    <message>
        <source>枣强县</source>
        <translation>Zaoqiang County</translation>
    </message>
    <message>
        <source>桃城区</source>
        <translation>Taocheng District</translation>
    </message>
    <message>
        <source>武强县</source>
        <translation>Wuqiang County</translation>
    </message>
    <message>
        <source>武邑县</source>
        <translation>Wuyi County</translation>
    </message>
    <message>
        <source>洪涝灾害</source>
        <translation>Flood</translation>
    </message>
    <message>
        <source>深州市</source>
        <translation>Shenzhou City</translation>
    </message>
    <message>
        <source>火灾事故</source>
        <translation>Fire</translation>
    </message>
    <message>
        <source>燃气、供热中断</source>
        <translation>Gas or heating outage</translation>
    </message>
    <message>
        <source>特别重大</source>
        <translation>Especially major</translation>
    </message>
    <message>
        <source>电话报告</source>
        <translation>Phone report</translation>
    </message>
    <message>
        <source>群体性事件</source>
        <translation>Mass incident</translation>
    </message>
    <message>
        <source>行政区划（内置矢量）</source>
        <translation>Divisions (built-in vector)</translation>
    </message>
    <message>
        <source>较大</source>
        <translation>Large</translation>
    </message>
    <message>
        <source>道路交通事故</source>
        <translation>Road traffic accident</translation>
    </message>
    <message>
        <source>重大</source>
        <translation>Major</translation>
    </message>
    <message>
        <source>阜城县</source>
        <translation>Fucheng County</translation>
    </message>
    <message>
        <source>食物中毒</source>
        <translation>Food poisoning</translation>
    </message>
    <message>
        <source>饶阳县</source>
        <translation>Raoyang County</translation>
    </message>
    <message>
        <source>{name}：{left}（时限 {due}）</source>
        <translation>{name}: {left} (due {due})</translation>
    </message>
    <message>
        <source>（{source}）</source>
        <translation> ({source})</translation>
    </message>
    <message>
        <source>{what}：{who}{where}（{state}）</source>
        <translation>{what}: {who}{where} ({state})</translation>
    </message>
    <message>
        <source>{department}（{code}）的联络员终端 {device} 未登记，指令未发出：请电话通知该部门，并为其联络员登记终端</source>
        <translation>{department} ({code}): liaison device {device} is not enrolled, no order sent: notify the department by phone and enrol its liaison</translation>
    </message>
    <message>
        <source>队伍终端 {device} 未登记，指令未发出：请电话通知该队伍，并为其登记终端</source>
        <translation>Team device {device} is not enrolled, no order sent: call the team and enrol its device</translation>
    </message>
    <message>
        <source>衡水市</source>
        <translation>Hengshui City</translation>
    </message>
    <message>
        <source>接报登记</source>
        <translation>Take a call</translation>
    </message>
    <message>
        <source>登记电话、群众或部门报来的事件：登记即开始报告时限计时</source>
        <translation>Record an incident reported by phone, the public or a department: the reporting clocks start when it is recorded</translation>
    </message>
    <message>
        <source>新建事件</source>
        <translation>New incident</translation>
    </message>
    <message>
        <source>暂无事件。用“接报登记”登记电话报告，或“新建事件”立案</source>
        <translation>No incidents. Use “Take a call” to record a phone report, or “New incident” to open one</translation>
    </message>
    <message>
        <source>核实</source>
        <translation>Verify</translation>
    </message>
    <message>
        <source>启动响应</source>
        <translation>Respond</translation>
    </message>
    <message>
        <source>姓名或单位</source>
        <translation>Name or organisation</translation>
    </message>
    <message>
        <source>何时何地发生了什么，例如：景县化工厂储罐泄漏</source>
        <translation>What happened, when and where, e.g. tank leak at the Jing County chemical plant</translation>
    </message>
    <message>
        <source>未分类（不定级）</source>
        <translation>Unclassified (no grading)</translation>
    </message>
    <message>
        <source>输入地名（区县、场所）或在地图上点选</source>
        <translation>Type a place name (county, facility) or pick it on the map</translation>
    </message>
    <message>
        <source>地图点选</source>
        <translation>Pick on map</translation>
    </message>
    <message>
        <source>（选定地点后自动判定）</source>
        <translation>(found once a place is chosen)</translation>
    </message>
    <message>
        <source>死亡</source>
        <translation>Dead</translation>
    </message>
    <message>
        <source>失踪</source>
        <translation>Missing</translation>
    </message>
    <message>
        <source>重伤</source>
        <translation>Seriously injured</translation>
    </message>
    <message>
        <source>被困</source>
        <translation>Trapped</translation>
    </message>
    <message>
        <source>转移</source>
        <translation>Evacuated</translation>
    </message>
    <message>
        <source> 万元</source>
        <translation> ×10,000 CNY</translation>
    </message>
    <message>
        <source>按分级标准计算</source>
        <translation>From the grading criteria</translation>
    </message>
    <message>
        <source>未绘制（可在地图左上角用多边形工具绘制）</source>
        <translation>Not drawn (use the polygon tool at the map's top left)</translation>
    </message>
    <message>
        <source>报告人所述情况：现场情况、已采取措施、需要的支援</source>
        <translation>What the caller said: the scene, measures taken, support needed</translation>
    </message>
    <message>
        <source>演练</source>
        <translation>Exercise</translation>
    </message>
    <message>
        <source>标题 *</source>
        <translation>Title *</translation>
    </message>
    <message>
        <source>地点 *</source>
        <translation>Place *</translation>
    </message>
    <message>
        <source>发生时间</source>
        <translation>Occurred</translation>
    </message>
    <message>
        <source>伤亡</source>
        <translation>Casualties</translation>
    </message>
    <message>
        <source>直接经济损失</source>
        <translation>Direct loss</translation>
    </message>
    <message>
        <source>请求等级</source>
        <translation>Requested level</translation>
    </message>
    <message>
        <source>影响范围</source>
        <translation>Affected area</translation>
    </message>
    <message>
        <source>情况说明</source>
        <translation>Account</translation>
    </message>
    <message>
        <source>提交</source>
        <translation>Submit</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>⚠ 该点不在衡水市境内，请核对</source>
        <translation>⚠ This point is outside Hengshui: please check</translation>
    </message>
    <message>
        <source>说明或理由（调整等级、关闭事件时必填）</source>
        <translation>Note or reason (required to change the level or close)</translation>
    </message>
    <message>
        <source>下一步</source>
        <translation>Next step</translation>
    </message>
    <message>
        <source>调整等级</source>
        <translation>Set level</translation>
    </message>
    <message>
        <source>关闭事件</source>
        <translation>Close incident</translation>
    </message>
    <message>
        <source>事件已关闭</source>
        <translation>Incident closed</translation>
    </message>
    <message>
        <source>来源</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>报告人</source>
        <translation>Caller</translation>
    </message>
    <message>
        <source>联系电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>接报时间</source>
        <translation>Received</translation>
    </message>
    <message>
        <source>区县：{name}</source>
        <translation>County: {name}</translation>
    </message>
    <message>
        <source>本机为只读，不能登记事件</source>
        <translation>This station is read-only and cannot record incidents</translation>
    </message>
    <message>
        <source>请填写理由：会记入事件记录并随报送</source>
        <translation>Give a reason: it is kept in the incident record and reported up</translation>
    </message>
    <message>
        <source>请填写标题：何时何地发生了什么</source>
        <translation>Give a title: what happened, when and where</translation>
    </message>
    <message>
        <source>请选定地点：输入地名或在地图上点选</source>
        <translation>Choose the place: type a name or pick it on the map</translation>
    </message>
    <message>
        <source>发生时间晚于现在，请核对</source>
        <translation>The time it occurred is in the future: please check</translation>
    </message>
    <message>
        <source>接报时间晚于现在，请核对</source>
        <translation>The time received is in the future: please check</translation>
    </message>
    <message>
        <source>接报时间早于发生时间，请核对</source>
        <translation>The time received is before it occurred: please check</translation>
    </message>
    <message>
        <source>已提交：{step}</source>
        <translation>Sent: {step}</translation>
    </message>
    <message>
        <source>等级已调整为 {level}</source>
        <translation>Level set to {level}</translation>
    </message>
    <message>
        <source>{numeral}级</source>
        <translation>Level {numeral}</translation>
    </message>
    <message>
        <source>找不到地名“{name}”：请输入区县或场所名称，或在地图上点选</source>
        <translation>No place called “{name}”: type a county or facility name, or pick it on the map</translation>
    </message>
    <message>
        <source>已绘制 {n} 个顶点</source>
        <translation>Drawn, {n} vertices</translation>
    </message>
    <message>
        <source>已登记：{id}</source>
        <translation>Recorded: {id}</translation>
    </message>
    <message>
        <source>下一步：{step}</source>
        <translation>Next: {step}</translation>
    </message>
    <message>
        <source>消防</source>
        <translation>Fire</translation>
    </message>
    <message>
        <source>急救</source>
        <translation>Ambulance</translation>
    </message>
    <message>
        <source>公安</source>
        <translation>Police</translation>
    </message>
    <message>
        <source>救援</source>
        <translation>Rescue</translation>
    </message>
    <message>
        <source>其他</source>
        <translation>Other</translation>
    </message>
    <message>
        <source>终端</source>
        <translation>Device</translation>
    </message>
    <message>
        <source>队伍</source>
        <translation>Team</translation>
    </message>
    <message>
        <source>现场终端</source>
        <translation>field device</translation>
    </message>
    <message>
        <source>部门联络员</source>
        <translation>department liaison</translation>
    </message>
    <message>
        <source>县级平台</source>
        <translation>county platform</translation>
    </message>
    <message>
        <source>已派遣</source>
        <translation>Dispatched</translation>
    </message>
    <message>
        <source>距离 / 到达</source>
        <translation>Distance / arrival</translation>
    </message>
    <message>
        <source>接收终端</source>
        <translation>Receiving device</translation>
    </message>
    <message>
        <source>危险区：以事发点为中心半径 {radius} m，面积 {area} km²</source>
        <translation>Hazard zone: radius {radius} m around the scene, {area} km²</translation>
    </message>
    <message>
        <source>危险区：下风向扩散扇区（风从 {deg}° 来，风速 {speed} m/s），面积 {area} km²</source>
        <translation>Hazard zone: downwind sector (wind from {deg}°, {speed} m/s), {area} km²</translation>
    </message>
    <message>
        <source>（风向风速只用于{kinds}类事件的下风向扩散扇区，本事件类型不适用）</source>
        <translation> (wind is used only for the downwind sector of {kinds} incidents; it does not apply to this type)</translation>
    </message>
    <message>
        <source>{km} km，约 {minutes} 分钟</source>
        <translation>{km} km, about {minutes} min</translation>
    </message>
    <message>
        <source>✕ 无</source>
        <translation>✕ none</translation>
    </message>
    <message>
        <source>派遣</source>
        <translation>Dispatch</translation>
    </message>
    <message>
        <source>请立即出动前往“{title}”（{lat:.5f}, {lon:.5f}），到达后报告。</source>
        <translation>Proceed at once to “{title}” ({lat:.5f}, {lon:.5f}) and report on arrival.</translation>
    </message>
    <message>
        <source>正在派遣 {team} …</source>
        <translation>Dispatching {team} …</translation>
    </message>
    <message>
        <source>已派遣 {team}，指令发往 {device}</source>
        <translation>{team} dispatched; the order went to {device}</translation>
    </message>
    <message>
        <source>【{kind}】{name}</source>
        <translation>[{kind}] {name}</translation>
    </message>
    <message>
        <source>✕ 无可接收的终端</source>
        <translation>✕ no device can receive</translation>
    </message>
    <message>
        <source>{name} 无法接收指令：没有登记终端，也没有所属部门的联络员，请电话通知</source>
        <translation>{name} cannot receive orders: no enrolled device and no department liaison; call them</translation>
    </message>
    <message>
        <source>搜索单位、队伍、部门或终端</source>
        <translation>Search units, teams, departments or devices</translation>
    </message>
    <message>
        <source>输入名称的任意部分筛选；也可直接输入终端名</source>
        <translation>Type any part of a name to filter; or type a device name</translation>
    </message>
    <message>
        <source>（{detail}）</source>
        <translation> ({detail})</translation>
    </message>
    <message>
        <source>{name} 无法接收指令：终端 {device} 未登记或不接收指令，请电话通知并为其登记终端</source>
        <translation>{name} cannot receive orders: device {device} is not enrolled or takes no orders; call them and enrol their device</translation>
    </message>
    <message>
        <source>【{name}】{text}</source>
        <translation>[{name}] {text}</translation>
    </message>
    <message>
        <source>找不到接收方 {key}</source>
        <translation>No recipient {key}</translation>
    </message>
    <message>
        <source>派遣…</source>
        <translation>Dispatch…</translation>
    </message>
    <message>
        <source>录制尚未结束：结束后才能导出（导出文件带校验值）</source>
        <translation>Still recording: export once it has ended (an export carries its checksum)</translation>
    </message>
    <message>
        <source>定位</source>
        <translation>Locate</translation>
    </message>
    <message>
        <source>在地图上显示求救人员的位置，并在单位列表中选中</source>
        <translation>Show the person on the map and select their unit</translation>
    </message>
    <message>
        <source>报警记录</source>
        <translation>Alarm history</translation>
    </message>
    <message>
        <source>（位置未知）</source>
        <translation>(position unknown)</translation>
    </message>
    <message>
        <source>衡水市境外</source>
        <translation>outside Hengshui</translation>
    </message>
    <message>
        <source>{county}，距{near} {distance}</source>
        <translation>{county}, {distance} from {near}</translation>
    </message>
    <message>
        <source>暂无记录</source>
        <translation>Nothing yet</translation>
    </message>
    <message>
        <source>{what}：{who} {where}（未确认，点击定位）</source>
        <translation>{what}: {who} {where} (unacknowledged — click to locate)</translation>
    </message>
    <message>
        <source>报警记录 {n}</source>
        <translation>Alarm history {n}</translation>
    </message>
    <message>
        <source>{raised} {what}：{who} {where} — {by} 于 {when} 确认</source>
        <translation>{raised} {what}: {who} {where} — acknowledged by {by} at {when}</translation>
    </message>
    <message>
        <source>　｜　另有 {n} 条</source>
        <translation>  |  {n} more</translation>
    </message>
    <message>
        <source>红色闪烁：指令已下达或已送达，接收方尚未确认；确认后停止。空表：暂无指令</source>
        <translation>Flashing red: the order is issued or delivered and the recipient has not yet acknowledged it; it stops once acknowledged. An empty table: no orders</translation>
    </message>
    <message>
        <source>未配置报送目的地：在指挥中心的 hub.toml 中加 [[relay.destinations]]（省级平台地址与证书，或摆渡目录），或以 serve --relay-url 启动；见 docs/interconnection.md</source>
        <translation>No reporting destination configured: add [[relay.destinations]] to the hub's hub.toml (the provincial platform's address and certificates, or a ferry folder), or start serve with --relay-url; see docs/interconnection.md</translation>
    </message>
    <message>
        <source>失联（超时未报位置）</source>
        <translation>Lost (no position lately)</translation>
    </message>
    <message>
        <source>Ⅰ级</source>
        <translation>Level Ⅰ</translation>
    </message>
    <message>
        <source>Ⅱ级</source>
        <translation>Level Ⅱ</translation>
    </message>
    <message>
        <source>Ⅲ级</source>
        <translation>Level Ⅲ</translation>
    </message>
    <message>
        <source>Ⅳ级</source>
        <translation>Level Ⅳ</translation>
    </message>
    <message>
        <source>重点设施（学校、医院、危化企业）</source>
        <translation>Key facilities (schools, hospitals, chemical plants)</translation>
    </message>
    <message>
        <source>避难场所，标注为 已安置/容量</source>
        <translation>Shelters, labelled occupied/capacity</translation>
    </message>
    <message>
        <source>救援队伍</source>
        <translation>Rescue teams</translation>
    </message>
    <message>
        <source>车辆装备</source>
        <translation>Vehicles and equipment</translation>
    </message>
    <message>
        <source>物资储备库</source>
        <translation>Supply depots</translation>
    </message>
    <message>
        <source>专家</source>
        <translation>Experts</translation>
    </message>
    <message>
        <source>监测点</source>
        <translation>Monitoring points</translation>
    </message>
    <message>
        <source>实线：危险区（颜色为等级）</source>
        <translation>Solid: hazard zone (colour = level)</translation>
    </message>
    <message>
        <source>虚线：预警区域（颜色为严重程度）</source>
        <translation>Dashed: warning area (colour = severity)</translation>
    </message>
    <message>
        <source>带数字的圆：该处聚合的数量，放大后展开</source>
        <translation>Circle with a number: that many items here; zoom in to spread them</translation>
    </message>
    <message>
        <source>图例</source>
        <translation>Legend</translation>
    </message>
    <message>
        <source>单位（箭头指向行进方向）</source>
        <translation>Units (the arrow points where they head)</translation>
    </message>
    <message>
        <source>事件（颜色为等级）</source>
        <translation>Incidents (colour = level)</translation>
    </message>
    <message>
        <source>资源</source>
        <translation>Resources</translation>
    </message>
    <message>
        <source>区域</source>
        <translation>Areas</translation>
    </message>
    <message>
        <source>事件当前定为 {current}，与研判建议不同；如需调整，在“事件”页调整等级并写明理由</source>
        <translation>The incident is now at {current}, not what the assessment suggests; to change it, set the level on the Incidents tab with a reason</translation>
    </message>
    <message>
        <source>附近没有可用的救援队伍</source>
        <translation>No available rescue team nearby</translation>
    </message>
    <message>
        <source>暂无单位：现场终端上线并上报位置后显示在这里</source>
        <translation>No units yet: they appear here once field devices come online and report positions</translation>
    </message>
    <message>
        <source>；初报未保存（{reason}），请在事件中补报</source>
        <translation>; its first report was not stored ({reason}): file it on the incident</translation>
    </message>
    <message>
        <source>事件编号（含已关闭的事件）</source>
        <translation>Incident id (closed ones too)</translation>
    </message>
    <message>
        <source>调阅</source>
        <translation>Look up</translation>
    </message>
    <message>
        <source>重新打开的理由</source>
        <translation>Reason to reopen</translation>
    </message>
    <message>
        <source>重新打开</source>
        <translation>Reopen</translation>
    </message>
    <message>
        <source>已关闭：{reason}</source>
        <translation>Closed: {reason}</translation>
    </message>
    <message>
        <source>指挥中心未应答，请稍后再试</source>
        <translation>The command centre did not answer; try again shortly</translation>
    </message>
    <message>
        <source>处置过程</source>
        <translation>Steps taken</translation>
    </message>
    <message>
        <source>事实变更</source>
        <translation>Changes to the facts</translation>
    </message>
    <message>
        <source>请填写重新打开的理由</source>
        <translation>Give the reason to reopen it</translation>
    </message>
    <message>
        <source>请求定为 {requested}级，分级标准为 {computed}级：按标准定级；如需另定，由值班员“调整等级”并写明理由</source>
        <translation>Requested level {requested}, the criteria give {computed}: the criteria stand; to set another, a duty officer uses “Set level” with a reason</translation>
    </message>
    <message>
        <source>选择事件后列出最近的可用队伍</source>
        <translation>Select an incident to list the nearest available teams</translation>
    </message>
    <message>
        <source>暂无指令：在上方选择接收方、写明指令后下达，或在“研判”页派遣队伍</source>
        <translation>No orders: choose a recipient above and write the order, or dispatch a team from Assessment</translation>
    </message>
    <message>
        <source>暂无事件：用“接报登记”或“新建事件”登记</source>
        <translation>No incidents: record one with “Take a call” or “New incident”</translation>
    </message>
    <message>
        <source>暂无预警：省、市气象、地震等部门发布的预警接入后显示在这里</source>
        <translation>No warnings: warnings from the meteorological, seismic and other services appear here once received</translation>
    </message>
    <message>
        <source>指挥中心未应答：{id} 已排队，恢复连接后自动登记，请勿重复登记</source>
        <translation>The command centre did not answer: {id} is queued and will be recorded when the link returns; do not record it again</translation>
    </message>
    <message>
        <source>本席值班人姓名</source>
        <translation>Name of the person on duty at this station</translation>
    </message>
    <message>
        <source>岗位（值班员、带班领导…）</source>
        <translation>Post (duty officer, leader on duty…)</translation>
    </message>
    <message>
        <source>签到</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <source>签退</source>
        <translation>Sign out</translation>
    </message>
    <message>
        <source>请填写值班人姓名</source>
        <translation>Enter the name of the person on duty</translation>
    </message>
    <message>
        <source>在岗签到：</source>
        <translation>Signed in: </translation>
    </message>
    <message>
        <source>本席 {device}：{person} 签到于 {at}，所做变更记录其姓名</source>
        <translation>This station {device}: {person}, signed in at {at}; changes made here record the name</translation>
    </message>
    <message>
        <source>已签到</source>
        <translation>Signed in</translation>
    </message>
    <message>
        <source>已签退</source>
        <translation>Signed out</translation>
    </message>
    <message>
        <source>本席 {device} 无人签到：变更只记录席位，请签到</source>
        <translation>Nobody is signed in at this station {device}: changes record the station only; sign in</translation>
    </message>
    <message>
        <source>值班人</source>
        <translation>On duty</translation>
    </message>
    <message>
        <source>岗位</source>
        <translation>Post</translation>
    </message>
    <message>
        <source>本次未见关闭的事件</source>
        <translation>No incident closed since the window opened</translation>
    </message>
    <message>
        <source>最近关闭的事件（{n}）…</source>
        <translation>Recently closed incidents ({n})…</translation>
    </message>
</context>
</TS>
