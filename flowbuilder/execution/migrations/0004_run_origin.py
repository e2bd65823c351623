from django.db import migrations, models


class Migration(migrations.Migration):
    """``Run.trigger`` is a run's origin: renamed so "trigger" names only trigger nodes and the triggers app."""

    dependencies = [("execution", "0003_event_catalogue")]

    operations = [
        migrations.RenameField(model_name="run", old_name="trigger", new_name="origin"),
        migrations.AlterField(
            model_name="run",
            name="origin",
            field=models.CharField(
                choices=[
                    ("manual", "Manual"),
                    ("webhook", "Webhook"),
                    ("schedule", "Schedule"),
                    ("subflow", "Sub-flow"),
                    ("replay", "Replay"),
                    ("api", "API"),
                ],
                default="manual",
                max_length=16,
            ),
        ),
    ]
