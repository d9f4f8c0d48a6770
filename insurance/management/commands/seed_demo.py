"""python manage.py seed_demo --date D — a small synthetic city and one day of fee uploads."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from claims.models import FeeLine, Upload, UploadSource, Visit, VisitStatus
from insurance.models import Enrollment, Institution, Person, PersonalAccount
from insurance.synthetic import make_city
from policy_rules.models import CatalogItem


class Command(BaseCommand):
    help = "Generate a small synthetic city (institutions, persons, catalog) and a day of fee uploads."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="the day of the uploads, YYYY-MM-DD")
        parser.add_argument("--persons", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {options['date']!r}") from exc
        if Person.objects.exists():
            self.stdout.write("seed_demo: the database already has persons; nothing generated.")
            return
        city = make_city(options["seed"], day, persons=options["persons"])
        with transaction.atomic():
            self._write(city, day)
        self.stdout.write(
            f"seed_demo: {len(city.institutions)} institutions, {len(city.persons)} persons, "
            f"{len(city.catalog)} catalog items, {len(city.visits)} visits with "
            f"{sum(len(v['lines']) for v in city.visits)} fee lines uploaded on {day}")

    def _write(self, city, day):
        Institution.objects.bulk_create([Institution(**i) for i in city.institutions])
        persons = Person.objects.bulk_create([
            Person(psn_no=p["psn_no"], certno=p["certno"], name=p["name"], gender=p["gender"],
                   birth_date=p["birth_date"]) for p in city.persons])
        Enrollment.objects.bulk_create([
            Enrollment(person=person, insutype=p["insutype"], psn_type=p["psn_type"],
                       enrolled_from=p["enrolled_from"], enrolled_to=p["enrolled_to"],
                       paid_through=p["paid_through"], assistance_category=p["assistance_category"])
            for person, p in zip(persons, city.persons, strict=True)])
        PersonalAccount.objects.bulk_create([
            PersonalAccount(person=person, balance=p["acct_balance"])
            for person, p in zip(persons, city.persons, strict=True)])
        CatalogItem.objects.bulk_create([
            CatalogItem(effective_from=dt.date(day.year, 1, 1), **{k: v for k, v in c.items() if k != "price"})
            for c in city.catalog])
        insts = {i.fixmedins_code: i for i in Institution.objects.all()}
        by_psn = {p.psn_no: p for p in Person.objects.all()}
        enrollments = {e.person_id: e for e in Enrollment.objects.all()}
        uploads = {code: Upload.objects.create(institution=inst, source=UploadSource.DEMO) for code, inst in insts.items()
                   if any(v["fixmedins_code"] == code for v in city.visits)}
        tz = timezone.get_current_timezone()
        visits = Visit.objects.bulk_create([
            Visit(mdtrt_id=v["mdtrt_id"], person=by_psn[v["psn_no"]], institution=insts[v["fixmedins_code"]],
                  enrollment=enrollments.get(by_psn[v["psn_no"]].pk), med_type=v["med_type"],
                  begntime=v["begntime"].replace(tzinfo=tz), endtime=v["endtime"].replace(tzinfo=tz),
                  status=VisitStatus.DISCHARGED) for v in city.visits])
        FeeLine.objects.bulk_create([
            FeeLine(visit=visit, upload=uploads[v["fixmedins_code"]], feedetl_sn=ln["feedetl_sn"],
                    med_list_codg=ln["med_list_codg"], cnt=ln["cnt"], pric=ln["pric"],
                    det_item_fee_sumamt=ln["det_item_fee_sumamt"], fee_ocur_time=ln["fee_ocur_time"].replace(tzinfo=tz))
            for visit, v in zip(visits, city.visits, strict=True) for ln in v["lines"]], batch_size=5000)
        for upload in uploads.values():
            upload.line_count = upload.lines.count()
        Upload.objects.bulk_update(uploads.values(), ["line_count"])
        # the uploads belong to the demo day, so that the daily job for that day finds them
        Upload.objects.filter(pk__in=[u.pk for u in uploads.values()]).update(
            created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(18, 0))))
