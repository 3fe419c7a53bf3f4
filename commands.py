"""flask CLI commands: `flask seed` loads reference and demo data into an empty database."""
from pathlib import Path

import click

DATA = Path(__file__).parent / "data"

def register_commands(app) -> None:
    @app.cli.command("seed")
    def seed():
        """Load the county's townships (and later demo people) when the database is empty."""
        from services.places import load_townships

        added = load_townships(DATA / "townships.toml")
        click.echo(f"乡镇便民服务中心：新增 {added} 个" if added else "基础数据已存在，未改动")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Drain what is waiting, then stop.")
    @click.option("--interval", default=2.0, help="Seconds to wait when the outbox is empty.")
    def worker(once: bool, interval: float):
        """Send what the outbox holds (SMS, pushes to departments). Run one or more anywhere."""
        import time

        from extensions import db
        from services.outbox import drain

        senders = app.extensions["senders"]
        while True:
            sent, failed = drain(senders)
            db.session.remove()
            if sent or failed:
                click.echo(f"已发送 {sent} 条，失败 {failed} 条（稍后重试）")
            if once and not (sent or failed):
                return
            if not (sent or failed):
                time.sleep(interval)

    @app.cli.command("check-catalog")
    def check_catalog():
        """Validate the catalog (start-up already does; this prints a summary)."""
        catalog = app.extensions["catalog"]
        stats = catalog.stats()
        click.echo(f"事项 {stats['items']} 个，可全程网办 {stats['fully_online']} 个")
