"""First run (首次使用): import the key bundle the command centre issued (a file from a USB
stick, or its text as read from the hall's QR code), check it, try it against the hub, and
keep it in this device's data folder. A corrupt, expired or revoked bundle is explained in
plain words."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from shared.identity import Bundle, BundleError, load_bundle


def explain(exc: Exception) -> str:
    """A bundle problem in plain words, with what to do."""
    text = str(exc)
    if "expired" in text:
        return f"密钥包已过期，请向指挥中心申请新的密钥包。（{text}）"
    return f"密钥包无法使用：{text}。请确认文件完整，或请指挥中心重新签发。"


async def check_with_hub(bundle: Bundle, timeout: float = 8.0) -> str | None:
    """None when the hub accepts the bundle's key, else why not (plain words)."""
    from shared.client import HubClient

    with tempfile.TemporaryDirectory() as tmp:
        client = HubClient(bundle, Path(tmp) / "check.db")
        await client.start()
        try:
            await client.wait_online(timeout)
            await client.hello(timeout)
            return None
        except PermissionError as exc:
            return f"指挥中心拒绝了这个密钥（已吊销或未登记）：{exc}"
        except TimeoutError:
            if client.state.value == "refused":
                return "指挥中心拒绝了这个密钥（已吊销或未登记），请联系指挥中心重新签发"
            return f"暂时连不上指挥中心（{bundle.endpoints.request}）：可以先使用，恢复后自动同步"
        finally:
            await client.aclose()


class QtSetupWizard(QDialog):
    """Choose or paste the bundle, check it, keep it."""

    def __init__(self, target: Path) -> None:
        super().__init__()
        self.setWindowTitle("首次使用：导入密钥包")
        self.target = target
        self.bundle: Bundle | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("请插入指挥中心签发的密钥包（U 盘），或粘贴扫码得到的文本："))
        row = QHBoxLayout()
        self.choose = QPushButton("选择密钥包文件…")
        self.choose.clicked.connect(self.on_choose_clicked)
        row.addWidget(self.choose)
        layout.addLayout(row)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("或在此粘贴密钥包内容")
        layout.addWidget(self.text)
        self.check = QPushButton("检查并保存")
        self.check.clicked.connect(self.on_check_clicked)
        layout.addWidget(self.check)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        self._task: asyncio.Task[bool] | None = None

    def on_choose_clicked(self) -> None:
        """Read a bundle file into the text box."""
        name, _ = QFileDialog.getOpenFileName(self, "选择密钥包", "", "密钥包 (*.json)")
        if name:
            try:
                self.text.setPlainText(Path(name).read_text("utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                self.verdict.setText(f"无法读取该文件：{exc}")

    def on_check_clicked(self) -> None:
        """Check the bundle, then try it against the hub."""
        self._task = asyncio.get_event_loop().create_task(self.check_text(self.text.toPlainText()))

    async def check_text(self, text: str) -> bool:
        """Validate ``text`` as a bundle and keep it; False (with the reason shown) if not."""
        with tempfile.TemporaryDirectory() as tmp:
            candidate = Path(tmp) / "bundle.json"
            candidate.write_text(text, "utf-8")
            try:
                bundle = load_bundle(candidate)
            except BundleError as exc:
                self.verdict.setText(explain(exc))
                return False
            self.check.setEnabled(False)
            self.verdict.setText("正在与指挥中心核对…")
            problem = await check_with_hub(bundle)
            self.check.setEnabled(True)
            if problem is not None and "拒绝" in problem:
                self.verdict.setText(problem)
                return False
            self.target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(candidate, self.target)
            self.target.chmod(0o600)
        self.bundle = bundle
        self.verdict.setText(problem or f"已导入：{bundle.device}（{bundle.role}）")
        self.accept()
        return True
