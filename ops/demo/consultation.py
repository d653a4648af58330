"""The demo's public consultation on the Körfez plan, and what a few citizens wrote to it."""

CONSULTATION = {
    "title": {"tr": "Körfez planı: kıyı, çevre ve sağlık için görüşleriniz",
              "fa": "برنامهٔ کورفز: نظرهای شما دربارهٔ ساحل، محیط زیست و سلامت",
              "en": "The Körfez plan: your views on the coast, the environment and health"},
    "kind": "public_comment", "themes": ["T1", "T3", "T5", "T7"], "public": True,
    "opens_at": "2025-01-01T09:00:00Z", "closes_at": "2029-12-31T21:00:00Z",
}

INPUTS = [
    {"stakeholder": {"name": "Zeynep Kaya", "group": "citizen", "municipality": "edremit",
                     "contact": "zeynep.kaya@example.org"},
     "kind": "request", "theme": "T1", "text": "Akçay sahiline gölgelikli bir yürüyüş yolu ve içme suyu çeşmeleri."},
    {"stakeholder": {"name": "Ayvalık Zeytin Üreticileri Derneği", "group": "ngo", "municipality": "ayvalik"},
     "kind": "suggestion", "theme": "T1",
     "text": "Zeytinyağı fabrikalarının karasuyu körfeze verilmeden arıtılsın; ortak bir tesis kurulabilir."},
    {"stakeholder": {"name": "Mehmet Demir", "group": "muhtar", "municipality": "havran"},
     "kind": "complaint", "theme": "T3", "text": "Köylerden sağlık ocağına ulaşım günde bir minibüsle sınırlı."},
    {"stakeholder": {"name": "Burhaniye Esnaf Odası", "group": "chamber", "municipality": "burhaniye"},
     "kind": "opportunity", "theme": "T5", "text": "Kış turizmi için termal kaynaklar ve zeytin rotası tanıtılsın."},
    {"stakeholder": {"name": "Elif Şahin", "group": "citizen", "municipality": "gomec"},
     "kind": "suggestion", "theme": "T7", "text": "Gömeç ile Edremit arasında akşam saatlerinde de otobüs olsun."},
]
