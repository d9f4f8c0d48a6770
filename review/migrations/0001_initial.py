"""The smart-audit review's models, moved from the claims app (claims 0017) with their tables as they are.

State only: the tables claims_audithit, claims_suspectitem, claims_appeal and claims_reviewevent, their
constraints, indexes and the append-only trigger were created by the claims migrations (0007 onwards)
and keep their names, so nothing is run against the database. The state operations are those
makemigrations wrote for the models, wrapped; the constraints' and indexes' names, the trigger's pgid and
hash are the ones claims 0007-0016 gave them."""

import django.core.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('claims', '0016_institution_audit_stats'),
        ('fund_budget', '0001_initial'),
        ('insurance', '0005_partial_fk_indexes'),
        ('policy_rules', '0003_drop_redundant_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Appeal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('explanation', models.TextField(verbose_name='申诉说明')),
                        ('filed_at', models.DateTimeField(verbose_name='申诉时间')),
                        ('state', models.CharField(choices=[('filed', '已提交'), ('upheld', '维持扣款'), ('reversed', '撤销扣款')], default='filed', max_length=10, verbose_name='状态')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='复核时间')),
                        ('decision_reason', models.TextField(blank=True, verbose_name='复核意见')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='复核人')),
                        ('filed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='申诉人')),
                        ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appeals', to='insurance.institution', verbose_name='医药机构')),
                    ],
                    options={
                        'verbose_name': '申诉',
                        'verbose_name_plural': '申诉',
                        'db_table': 'claims_appeal',
                        'ordering': ['-filed_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='SuspectItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('amount_at_stake', models.DecimalField(decimal_places=2, help_text='命中金额合计，以该次结算的基金支付为限', max_digits=14, validators=[django.core.validators.MinValueValidator(0)], verbose_name='疑点金额')),
                        ('state', models.CharField(choices=[('pending', '待审核'), ('confirmed', '已确认扣款'), ('dismissed', '已排除'), ('appealed', '申诉中'), ('reversed', '申诉成立已退还')], default='pending', max_length=10, verbose_name='状态')),
                        ('confirmed_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='确认扣款金额')),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='确认时间')),
                        ('dismissed_at', models.DateTimeField(blank=True, null=True, verbose_name='排除时间')),
                        ('review_reason', models.TextField(blank=True, verbose_name='审核意见')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='生成时间')),
                        ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='确认人')),
                        ('deduction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='fund_budget.auditdeduction', verbose_name='审核扣款')),
                        ('dismissed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='排除人')),
                        ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='suspect_items', to='insurance.institution', verbose_name='医药机构')),
                        ('rule', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='suspect_items', to='policy_rules.auditruledefinition', verbose_name='审核规则')),
                        ('settlement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='suspect_items', to='claims.settlement', verbose_name='结算记录')),
                        ('visit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='suspect_items', to='claims.visit', verbose_name='就诊')),
                    ],
                    options={
                        'verbose_name': '疑点',
                        'verbose_name_plural': '疑点',
                        'db_table': 'claims_suspectitem',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ReviewEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(auto_now_add=True, verbose_name='操作时间')),
                        ('action', models.CharField(choices=[('opened', '生成疑点'), ('confirmed', '确认扣款'), ('dismissed', '排除疑点'), ('appeal_filed', '提交申诉'), ('appeal_upheld', '申诉复核：维持扣款'), ('appeal_reversed', '申诉复核：撤销扣款')], max_length=20, verbose_name='操作')),
                        ('from_state', models.CharField(blank=True, choices=[('pending', '待审核'), ('confirmed', '已确认扣款'), ('dismissed', '已排除'), ('appealed', '申诉中'), ('reversed', '申诉成立已退还')], max_length=10, verbose_name='原状态')),
                        ('to_state', models.CharField(choices=[('pending', '待审核'), ('confirmed', '已确认扣款'), ('dismissed', '已排除'), ('appealed', '申诉中'), ('reversed', '申诉成立已退还')], max_length=10, verbose_name='新状态')),
                        ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='金额')),
                        ('reason', models.TextField(blank=True, verbose_name='原因')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                        ('appeal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='review.appeal', verbose_name='申诉')),
                        ('visit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_events', to='claims.visit', verbose_name='就诊')),
                        ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='review.suspectitem', verbose_name='疑点')),
                    ],
                    options={
                        'verbose_name': '审核轨迹',
                        'verbose_name_plural': '审核轨迹',
                        'db_table': 'claims_reviewevent',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='AuditHit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rule_code', models.CharField(max_length=40, verbose_name='规则编码')),
                        ('rule_type', models.CharField(max_length=40, verbose_name='规则类型')),
                        ('severity', models.CharField(choices=[('warn', '提醒'), ('suspect', '疑点')], max_length=10, verbose_name='严重程度')),
                        ('stage', models.CharField(choices=[('upload', '明细上传'), ('presettle', '预结算'), ('settlement', '结算')], max_length=12, verbose_name='审核环节')),
                        ('feedetl_sns', models.JSONField(blank=True, default=list, verbose_name='费用明细流水号')),
                        ('fee_line_ids', models.JSONField(blank=True, default=list, verbose_name='费用明细ID')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(0)], verbose_name='涉及金额')),
                        ('evidence', models.TextField(verbose_name='依据')),
                        ('related_mdtrt_id', models.CharField(blank=True, max_length=30, verbose_name='关联就诊ID')),
                        ('key', models.CharField(help_text='环节、规则、就诊、结算、明细、金额的摘要；同一发现只记录一次', max_length=64, unique=True, verbose_name='去重键')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='发现时间')),
                        ('institution', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='audit_hits', to='insurance.institution', verbose_name='医药机构')),
                        ('related_visit', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='claims.visit', verbose_name='关联就诊')),
                        ('rule', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='hits', to='policy_rules.auditruledefinition', verbose_name='审核规则')),
                        ('settlement', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_hits', to='claims.settlement', verbose_name='结算记录')),
                        ('visit', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='audit_hits', to='claims.visit', verbose_name='就诊')),
                        ('item', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='hits', to='review.suspectitem', verbose_name='疑点')),
                    ],
                    options={
                        'verbose_name': '审核命中',
                        'verbose_name_plural': '审核命中',
                        'db_table': 'claims_audithit',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.AddField(
                    model_name='appeal',
                    name='item',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='appeal', to='review.suspectitem', verbose_name='疑点'),
                ),
                migrations.AddIndex(
                    model_name='suspectitem',
                    index=models.Index(fields=['state', 'created_at'], name='claims_susp_state_3be1ba_idx'),
                ),
                migrations.AddIndex(
                    model_name='suspectitem',
                    index=models.Index(fields=['institution', 'state'], name='claims_susp_institu_7e3b80_idx'),
                ),
                migrations.AddIndex(
                    model_name='suspectitem',
                    index=models.Index(fields=['created_at'], name='claims_suspect_created_idx'),
                ),
                migrations.AddConstraint(
                    model_name='suspectitem',
                    constraint=models.UniqueConstraint(fields=('settlement', 'rule'), name='claims_suspectitem_settlement_rule_uniq'),
                ),
                migrations.AddConstraint(
                    model_name='suspectitem',
                    constraint=models.CheckConstraint(condition=models.Q(('state__in', ['pending', 'confirmed', 'dismissed', 'appealed', 'reversed'])), name='claims_suspectitem_state'),
                ),
                migrations.AddConstraint(
                    model_name='suspectitem',
                    constraint=models.CheckConstraint(condition=models.Q(('amount_at_stake__gte', 0)), name='claims_suspectitem_amount_at_stake_gte_0'),
                ),
                migrations.AddConstraint(
                    model_name='suspectitem',
                    constraint=models.CheckConstraint(condition=models.Q(('confirmed_amount__isnull', True), models.Q(('confirmed_amount__gt', 0), ('confirmed_amount__lte', models.F('amount_at_stake'))), _connector='OR'), name='claims_suspectitem_confirmed_amount_range'),
                ),
                migrations.AddConstraint(
                    model_name='suspectitem',
                    constraint=models.CheckConstraint(condition=models.Q(('state__in', ['pending', 'dismissed']), models.Q(('confirmed_amount__isnull', False), ('confirmed_at__isnull', False)), _connector='OR'), name='claims_suspectitem_confirmed_shape'),
                ),
                migrations.AddConstraint(
                    model_name='suspectitem',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'dismissed'), _negated=True), ('dismissed_at__isnull', False), _connector='OR'), name='claims_suspectitem_dismissed_shape'),
                ),
                migrations.AddIndex(
                    model_name='reviewevent',
                    index=models.Index(fields=['visit', 'at'], name='claims_revi_visit_i_ade2a3_idx'),
                ),
                migrations.AddConstraint(
                    model_name='reviewevent',
                    constraint=models.CheckConstraint(condition=models.Q(('action__in', ['opened', 'confirmed', 'dismissed', 'appeal_filed', 'appeal_upheld', 'appeal_reversed'])), name='claims_reviewevent_action'),
                ),
                pgtrigger.migrations.AddTrigger(
                    model_name='reviewevent',
                    trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='83616e335d14ce36f3efe7bff2911fd5ff91c5b1', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_7b2e7', table='claims_reviewevent', when='BEFORE')),
                ),
                migrations.AddIndex(
                    model_name='audithit',
                    index=models.Index(fields=['rule', 'created_at'], name='claims_audi_rule_id_e133ff_idx'),
                ),
                migrations.AddIndex(
                    model_name='audithit',
                    index=models.Index(fields=['institution', 'created_at'], name='claims_audi_institu_8c5b25_idx'),
                ),
                migrations.AddIndex(
                    model_name='audithit',
                    index=models.Index(fields=['visit', 'stage'], name='claims_audi_visit_i_57bbb5_idx'),
                ),
                migrations.AddIndex(
                    model_name='audithit',
                    index=models.Index(fields=['created_at'], name='claims_audithit_created_idx'),
                ),
                migrations.AddIndex(
                    model_name='audithit',
                    index=models.Index(condition=models.Q(('related_visit__isnull', False)), fields=['related_visit'], name='claims_hit_related_visit_idx'),
                ),
                migrations.AddIndex(
                    model_name='audithit',
                    index=models.Index(condition=models.Q(('item__isnull', False)), fields=['item'], name='claims_hit_item_idx'),
                ),
                migrations.AddConstraint(
                    model_name='audithit',
                    constraint=models.CheckConstraint(condition=models.Q(('severity__in', ['warn', 'suspect'])), name='claims_audithit_severity'),
                ),
                migrations.AddConstraint(
                    model_name='audithit',
                    constraint=models.CheckConstraint(condition=models.Q(('stage__in', ['upload', 'presettle', 'settlement'])), name='claims_audithit_stage'),
                ),
                migrations.AddConstraint(
                    model_name='audithit',
                    constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='claims_audithit_amount_gte_0'),
                ),
                migrations.AddConstraint(
                    model_name='audithit',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('stage', 'settlement'), _negated=True), ('settlement__isnull', False), _connector='OR'), name='claims_audithit_settlement_stage'),
                ),
                migrations.AddConstraint(
                    model_name='appeal',
                    constraint=models.CheckConstraint(condition=models.Q(('state__in', ['filed', 'upheld', 'reversed'])), name='claims_appeal_state'),
                ),
                migrations.AddConstraint(
                    model_name='appeal',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'filed'), ('decided_at__isnull', True)), models.Q(models.Q(('state', 'filed'), _negated=True), ('decided_at__isnull', False), models.Q(('decision_reason', ''), _negated=True)), _connector='OR'), name='claims_appeal_decided_shape'),
                ),
            ],
        ),
    ]
