"""deploy/: the nginx site passes `nginx -t` with a certificate made here, keeps its security
headers on its own error pages and HSTS; the systemd units start gunicorn and the worker from the
environment file, migrating first."""
import configparser
import datetime
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = Path("/usr/sbin/nginx")


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zwfw.zhenyuan.gov.cn")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return chain, private


def test_the_nginx_site_passes_nginx_t(tmp_path):
    """nginx comes from Debian with `make test` (scripts/system-deps.sh)."""
    chain, private = _certificate(tmp_path)
    site = (DEPLOY / "nginx-zhenyuan.conf").read_text(encoding="utf-8")
    site = (site.replace("/etc/zhenyuan/tls/fullchain.pem", str(chain))
            .replace("/etc/zhenyuan/tls/privkey.pem", str(private)).replace("/opt/zhenyuan/", f"{ROOT}/"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/site.conf;
}}
""", encoding="utf-8")
    checked = subprocess.run([str(NGINX), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                              "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_the_site_keeps_its_security_headers_on_its_own_error_pages_and_sends_hsts():
    site = (DEPLOY / "nginx-zhenyuan.conf").read_text(encoding="utf-8")
    headers = [line.strip() for line in site.splitlines() if line.strip().startswith("add_header")]
    assert headers and all(line.endswith("always;") for line in headers)  # on 4xx/5xx too
    assert 'Strict-Transport-Security "max-age=31536000; includeSubDomains" always' in site
    assert "client_max_body_size 32m;" in site and "return 301 https://" in site
    assert "error_page 502 503 504 /50x.html;" in site and "error_page 413 /413.html;" in site
    assert (DEPLOY / "errors" / "50x.html").exists() and (DEPLOY / "errors" / "413.html").exists()
    # What the app answers keeps its own CSP (a kiosk's differs): nginx adds only HSTS there.
    proxied = site[site.index("location / {"):site.index("}", site.index("location / {"))]
    assert "add_header" not in proxied
    server_level = site[site.index("server_tokens off;") - 400:site.index("server_tokens off;")]
    assert "Content-Security-Policy" not in server_level


def test_the_units_run_gunicorn_and_the_worker_from_the_environment_file():
    for name, command in (("zhenyuan-web.service", "gunicorn wsgi:app"), ("zhenyuan-worker.service", "wsgi worker")):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read(DEPLOY / name, encoding="utf-8")
        service = unit["Service"]
        assert command in service["ExecStart"] and service["EnvironmentFile"] == "/etc/zhenyuan/env"
        assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == "/var/lib/zhenyuan"
    web = configparser.ConfigParser(strict=False, interpolation=None)
    web.read(DEPLOY / "zhenyuan-web.service", encoding="utf-8")
    assert "db upgrade" in web["Service"]["ExecStartPre"]
    env = (DEPLOY / "env.example").read_text(encoding="utf-8")
    assert "APP_ENV=production" in env and "INSTANCE_PATH=/var/lib/zhenyuan" in env


def test_the_first_administrator_is_made_from_the_command_line(app):
    import re

    from sqlalchemy import select
    from werkzeug.security import check_password_hash

    from extensions import db
    from services.people.staff import StaffUser

    runner = app.test_cli_runner()
    weak = runner.invoke(args=["create-admin", "zhangadmin", "张建华"], input="123\n123\n")
    assert weak.exit_code != 0
    made = runner.invoke(args=["create-admin", "zhangadmin", "张建华"], input="Zhenyuan-admin-2026\nZhenyuan-admin-2026\n")
    assert made.exit_code == 0, made.output
    code = re.search(r"两步验证开通码：(\d{4} \d{4})", made.output).group(1)  # to enrol with, at the first sign-in
    with app.app_context():
        admin = db.session.scalar(select(StaffUser).where(StaffUser.username == "zhangadmin"))
        assert admin.role == "admin" and admin.must_change_password
        assert check_password_hash(admin.enrolment_code_hash, code.replace(" ", ""))


def test_the_units_are_hardened():
    """systemd's own rating of the web unit's exposure (0 best, 10 worst)."""
    import re

    rated = subprocess.run(["systemd-analyze", "security", "--offline=true", str(DEPLOY / "zhenyuan-web.service")],
                           capture_output=True, text=True, timeout=60)
    level = float(re.search(r"Overall exposure level for .*?: ([0-9.]+)", rated.stdout).group(1))
    assert level < 3, rated.stdout[-2000:]
