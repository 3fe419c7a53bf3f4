"""flask CLI commands: `flask seed` loads reference and demo data; `flask worker` sends the outbox."""
import tomllib
from pathlib import Path

import click

DATA = Path(__file__).parent / "data"


# The demo staff accounts' authenticator secret (两步验证), printed by `make run`: add it to an
# authenticator app, or ask `flask demo-code` for the current code. Demo data, never production.
DEMO_TOTP = "ZHENYUANDEMOTOTPZHENYUANDEMOTOTP"


def seed_demo_staff(path: Path) -> list[dict]:
    """Demo accounts for trying the staff console; never in production."""
    from sqlalchemy import func, select

    from extensions import db
    from services.appointments import Hospital, load_hospitals
    from services.people import two_factor
    from services.people.staff import StaffUser, create_account
    from services.places import Township

    if db.session.scalar(select(func.count()).select_from(StaffUser)):
        return []
    load_hospitals(DATA / "hospitals.toml")
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["staff"]
    for row in rows:
        hospital_id = (db.session.scalar(select(Hospital.id).where(Hospital.code == row["hospital"]))
                       if row.get("hospital") else None)
        township_id = (db.session.scalar(select(Township.id).where(Township.name == row["township"]))
                       if row.get("township") else None)
        account = create_account(row["username"], row["password"], row["name"], row["role"], township_id,
                                 row.get("department"), created_by="demo data", hospital_id=hospital_id)
        two_factor.demo_enrol(account, DEMO_TOTP)
        if hospital_id:
            row["hospital_name"] = db.session.get(Hospital, hospital_id).name
    db.session.commit()
    return rows


def seed_demo_people(path: Path) -> list[dict]:
    from sqlalchemy import select

    from extensions import db
    from services.people.identity import Person, find_or_create_person, verify_real_name

    rows = tomllib.loads(path.read_text(encoding="utf-8"))["people"]
    created = []
    for row in rows:
        if db.session.scalar(select(Person.id).where(Person.phone == row["phone"])) is None:
            verify_real_name(find_or_create_person(row["phone"]), row["name"], row["id_number"])
            created.append(row)
    db.session.commit()
    return created


def seed_demo_kiosk() -> None:
    """A kiosk for 城关镇 with a simulated card reader; its setup link is new at every start."""
    from services.kiosks import demo_kiosk, setup_link
    from services.places import township_id_by_name

    kiosk, token = demo_kiosk(township_id_by_name("城关镇"))
    click.echo(f"演示自助终端（{kiosk.name}，城关镇）：在终端的浏览器打开 {setup_link(token)}")
    click.echo("  （登记链接 24 小时内有效，只能用一次；重新运行 make run 会生成新的链接）")


def seed_demo_agents() -> None:
    """A village agent and a village committee member for a demo village of 城关镇."""
    from services.people.agents import demo_agents
    from services.places import township_id_by_name, villages_of

    village = villages_of(township_id_by_name("城关镇"))[0]
    click.echo(f"演示村代办员账号（代办 /agent/，{village.shown_name}，城关镇）：")
    for row in demo_agents(village, DEMO_TOTP):
        role = "村代办员" if row["role"] == "agent" else "村委会，可确认纸质委托"
        click.echo(f"  {row['username']:10} 密码 {row['password']:18} {row['name']}（{role}）")
    click.echo("  两步验证：与演示工作人员账号相同的演示密钥")


def register_commands(app) -> None:
    @app.cli.command("seed")
    @click.option("--without-cases", is_flag=True, help="No demo cases (tests that need none).")
    def seed(without_cases: bool):
        """Load the county's townships, and demo staff accounts outside production."""
        from services.places import load_townships

        added = load_townships(DATA / "townships.toml")
        click.echo(f"乡镇便民服务中心：新增 {added} 个" if added else "乡镇数据已存在，未改动")
        from services.places import load_villages

        added = load_villages(DATA / "villages.toml")
        if added:
            click.echo(f"行政村：新增 {added} 个（演示数据，上线前按区划代码表替换）")
        from services.appointments import load_hospitals, open_coming_week

        load_hospitals(DATA / "hospitals.toml")
        click.echo(f"预约号源：新开 {open_coming_week()} 个半天")
        if app.config["APP_ENV"] == "production":
            return
        for row in seed_demo_people(DATA / "demo_people.toml"):
            click.echo(f"演示村民：{row['name']} 手机 {row['phone']}（登录时页面会显示验证码）")
        created = seed_demo_staff(DATA / "demo_staff.toml")
        rows = created or tomllib.loads((DATA / "demo_staff.toml").read_text(encoding="utf-8"))["staff"]
        click.echo("演示工作人员账号（工作台 /office/）：" if created else
                   "演示工作人员账号（工作台 /office/，首次运行时已创建）：")
        for row in rows:
            scope = (row.get("township") or row.get("department") or row.get("hospital_name")
                     or ("医院" if row.get("hospital") else "全部"))
            click.echo(f"  {row['username']:10} 密码 {row['password']:18} {row['name']}（{scope}）")
        click.echo(f"  两步验证：演示账号已绑定演示密钥 {DEMO_TOTP}（在验证器 App 里手动添加），"
                   "或运行 .venv/bin/flask --app wsgi demo-code 查看当前验证码")
        seed_demo_kiosk()
        seed_demo_agents()
        click.echo("演示单位（“单位办事” /org）：王建国（手机 13900000002）登录后，输入统一社会信用代码 "
                   "91621027MA71A2B3C8（镇原县建国农业科技有限公司，演示的市场主体登记信息中他是法定代表人），"
                   "即可以单位名义申请审批事项，县市场监管局审查账号 shichang")
        from services.cases.demo import seed_demo_cases

        made = 0 if without_cases else seed_demo_cases(app.extensions["catalog"])
        if made:
            click.echo(f"演示办件：新增 {made} 件近 90 天的办件（办件公示 /public-cases、督查 /office/supervision 可看到）")

    @app.cli.command("demo-code")
    def demo_code():
        """The current 两步验证 code of the demo staff accounts (not in production)."""
        import pyotp

        if app.config["APP_ENV"] == "production":
            raise click.ClickException("生产环境没有演示账号")
        click.echo(f"演示账号当前的两步验证码：{pyotp.TOTP(DEMO_TOTP).now()}（30 秒内有效，每个只能用一次）")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.argument("name")
    @click.password_option(prompt="密码（至少 12 位）", confirmation_prompt="再输一次")
    def create_admin(username: str, name: str, password: str):
        """The county's first administrator (production has no demo accounts); the console makes the rest."""
        from services.errors import DomainError
        from services.people.staff import first_administrator
        from web.filters import china_time

        try:
            handover = first_administrator(username, password, name)
        except DomainError as exc:
            raise click.ClickException(exc.message)
        click.echo(f"已创建系统管理员 {handover.user.username}（{handover.user.name}）")
        click.echo(f"两步验证开通码：{handover.enrolment_code}（{china_time(handover.until)} 前有效，只能用一次），"
                   "请当面交给本人；首次登录须修改密码")

    @app.cli.command("reset-two-factor")
    @click.argument("username")
    @click.option("--new-password", is_flag=True, help="也发一个临时密码（唯一的管理员密码和手机都丢了）")
    def reset_two_factor_command(username: str, new_password: bool):
        """A member's two-step sign-in, an administrator's too (which the console does not reset)."""
        from services.errors import DomainError
        from services.people.staff import reset_at_server
        from web.filters import china_time

        try:
            handover = reset_at_server(username, new_password)
        except DomainError as exc:
            raise click.ClickException(exc.message)
        click.echo(f"已重置 {handover.user.username}（{handover.user.name}）的两步验证，其所有登录已退出")
        if handover.password:
            click.echo(f"临时密码：{handover.password}（登录后须立即修改）")
        click.echo(f"两步验证开通码：{handover.enrolment_code}（{china_time(handover.until)} 前有效，只能用一次），"
                   "请当面交给本人")

    @app.cli.command("reconcile")
    @click.option("--day", default="", help="YYYY-MM-DD (China date); default: yesterday.")
    def reconcile_command(day: str):
        """对账: the payment provider's bill of a day against the orders paid here."""
        from datetime import date, timedelta

        from services.clock import today
        from services.reconciliation import reconcile

        report = reconcile(app.extensions["payment_provider"],
                           date.fromisoformat(day) if day else today() - timedelta(days=1))
        click.echo(f"{report.day}：账单 {report.bill_count} 笔，本站 {report.our_count} 笔，待核查 {len(report.open_differences)} 笔")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Drain what is waiting, then stop.")
    @click.option("--interval", default=2.0, help="Seconds to wait when the outbox is empty.")
    def worker(once: bool, interval: float):
        """Send what the outbox holds (SMS, pushes to departments). Run one or more anywhere."""
        import time

        from extensions import db
        from services import attempts, audit, kiosks
        from services.exchange.keys import forget_old_nonces
        from services.logistics import sync_shipments
        from services.outbox import drain
        from services.payments import providers, settle_unnotified
        from services.reconciliation import reconcile_due
        from services.retention import purge_due

        senders = app.extensions["senders"]
        pruned_at = settled_at = 0.0
        while True:
            if time.monotonic() - pruned_at > 3600:  # wrong-try counts no limit looks at any more
                attempts.prune()
                forget_old_nonces()  # past the timestamp window, a nonce can never be replayed
                purged = purge_due(storage=app.extensions["storage"], days=app.config["MATERIALS_RETENTION_DAYS"])
                if purged:  # closed cases past their retention period: their materials' files go
                    click.echo(f"保存期限：删除了 {purged} 件已结束办件的材料")
                pruned_at = time.monotonic()
            if time.monotonic() - settled_at > 60:  # payments whose notice never came: ask the provider
                if sum(settle_unnotified(provider) for provider in providers()):
                    click.echo("支付结果：查询补记了未收到通知的订单")
                if reconcile_due(app.extensions["payment_provider"]):  # yesterday's bill, once it is out
                    click.echo("支付对账：已核对昨天的账单")
                settled_at = time.monotonic()
            kiosks.end_idle_visits()  # a kiosk switched off mid-visit: its drafts and card data go
            sealed, head, head_hash = audit.seal()
            if sealed:
                click.echo(f"审计日志：封存 {sealed} 条，链头 {head}:{head_hash}")
            moved = sync_shipments(app.extensions["carrier"])  # carriers' progress onto timelines
            if moved:
                click.echo(f"物流进度：新增 {moved} 条")
            sent, failed = drain(senders)
            db.session.remove()
            if sent or failed:
                click.echo(f"已发送 {sent} 条，失败 {failed} 条（稍后重试）")
            if once and not (sent or failed):
                return
            if not (sent or failed):
                time.sleep(interval)

    @app.cli.command("purge-materials")
    @click.option("--dry-run", is_flag=True, help="Count the cases due; delete nothing.")
    def purge_materials(dry_run: bool):
        """Delete the materials of cases closed longer ago than MATERIALS_RETENTION_DAYS (the worker
        does this hourly); results handed over are kept."""
        from services.retention import BATCH, due_count, purge_due

        days = app.config["MATERIALS_RETENTION_DAYS"]
        if dry_run:
            click.echo(f"保存期限 {days} 天：有 {due_count(days=days)} 件已结束的办件到期，材料待删除（未删除任何文件）")
            return
        total = 0
        while True:  # in batches; a case the store would not delete is left for the next run
            try:
                purged = purge_due(storage=app.extensions["storage"], days=days)
            except ValueError as exc:  # a period that makes no sense
                raise click.ClickException(str(exc))
            total += purged
            if purged < BATCH:
                break
        left = due_count(days=days)
        click.echo(f"保存期限 {days} 天：删除了 {total} 件已结束办件的材料（办理结果保留）"
                   + (f"；还有 {left} 件没能删除，详见日志，下次运行会再试" if left else "；没有其他到期的材料"))

    @app.cli.command("rotate-keys")
    @click.option("--reindex", is_flag=True, help="Also recompute every blind index (after BLIND_INDEX_KEY changed).")
    def rotate_keys(reindex: bool):
        """Seal every personal value again under the first key of PERSONAL_DATA_KEYS."""
        from services.key_rotation import rotate

        done = rotate(reindex)
        for name, count in done.items():
            if count:
                click.echo(f"  {name}：{count} 条")
        click.echo(f"已用密钥 {app.extensions['keys'].current} 重新加密 {sum(done.values())} 条"
                   + ("，并重算了查找索引" if reindex else "") + "。确认无误后可从 PERSONAL_DATA_KEYS 去掉旧密钥。")

    @app.cli.command("audit-verify")
    @click.option("--head", default="", help="A head the worker logged, N:hash: it must still be there.")
    def audit_verify(head: str):
        """Recompute the audit log's chain; exit 1 naming the first row changed, removed or added."""
        from services.audit import verify

        number, _, digest = head.partition(":")
        if head and not (number.isdigit() and len(digest) == 64):
            raise click.BadParameter("写成 第几条:哈希，如 1024:9f…（worker 的日志里“链头”那一行）", param_hint="--head")
        verdict = verify((int(number), digest) if head else None)
        click.echo(f"审计日志：已核对 {verdict.checked} 条，尚未封存 {verdict.unsealed} 条")
        if not verdict.intact:
            raise click.ClickException(f"第 {verdict.broken_at} 条起链条断开：{verdict.problem}")
        click.echo("链条完整")

    @app.cli.command("check-catalog")
    def check_catalog():
        """Validate the catalog (start-up already does; this prints a summary)."""
        stats = app.extensions["catalog"].stats()
        click.echo(f"事项 {stats['items']} 个，可全程网办 {stats['fully_online']} 个")
