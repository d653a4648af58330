"""The web's key: production refuses to start without one; every worker shares it."""
import pytest

from services import web
from shared.config import ConfigurationError


def test_production_needs_a_secret_key(monkeypatch):
    monkeypatch.setenv("ORTAK_ENV", "production")
    monkeypatch.delenv("ORTAK_SECRET_KEY", raising=False)
    monkeypatch.delenv("ORTAK_SECRET_KEY_FILE", raising=False)
    with pytest.raises(ConfigurationError, match="ORTAK_SECRET_KEY"):
        web.secret_key()


def test_the_key_comes_from_a_file(monkeypatch, tmp_path):
    key = tmp_path / "web_secret_key"
    key.write_text("a-key-of-this-installation\n")
    monkeypatch.setenv("ORTAK_ENV", "production")
    monkeypatch.delenv("ORTAK_SECRET_KEY", raising=False)
    monkeypatch.setenv("ORTAK_SECRET_KEY_FILE", str(key))
    assert web.secret_key() == "a-key-of-this-installation"


def test_catalogues_compile_where_the_tree_is_read_only(tmp_path, monkeypatch):
    import shutil

    from services.web import i18n
    source = tmp_path / "translations"
    shutil.copytree(i18n.SOURCE_CATALOGUES, source, ignore=shutil.ignore_patterns("*.mo"))
    for po in source.rglob("*.po"):
        po.parent.chmod(0o555)
    monkeypatch.setattr(i18n.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    try:
        target = i18n.compile_catalogues(str(source))
        if target == str(source):   # root writes anywhere: then the .mo files are beside the .po files
            assert all((po.parent / "messages.mo").exists() for po in source.rglob("*.po"))
        else:
            assert {p.parent.parent.name for p in (tmp_path / "tmp").rglob("messages.mo")} == {"tr", "fa", "en"}
    finally:
        for po in source.rglob("*.po"):
            po.parent.chmod(0o755)
