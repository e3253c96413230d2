from typing import Any

from django import template

from learning.content.models import Question
from learning.forms import ProblemReportForm

register = template.Library()


@register.inclusion_tag("learning/report_control.html", takes_context=True)
def report_problem(context: template.Context, question: Question) -> dict[str, Any]:
    """The "Report a problem" control under an answered question."""
    return {
        "question": question,
        "form": ProblemReportForm(auto_id=f"report-{question.pk}-%s"),
        "csrf_token": context.get("csrf_token"),
        # The study page's signed word that this question was shown to the learner: a
        # right answer is recorded only once rated, and the learner may report before.
        "shown": context.get("card_token", ""),
    }
