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

    @app.cli.command("check-catalog")
    def check_catalog():
        """Validate the catalog (start-up already does; this prints a summary)."""
        catalog = app.extensions["catalog"]
        stats = catalog.stats()
        click.echo(f"事项 {stats['items']} 个，可全程网办 {stats['fully_online']} 个")
