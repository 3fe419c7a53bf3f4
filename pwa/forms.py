from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from services.feedback import COMMENT_MAX


class FeedbackForm(FlaskForm):
    useful = RadioField("这个指南对您有用吗？", choices=[SelectChoice("1", "有用"), SelectChoice("0", "没用")],
                        validators=[InputRequired("请选择“有用”或“没用”")])
    comment = TextAreaField("哪里没看明白？（选填）",
                            validators=[Length(max=COMMENT_MAX,
                                               message=f"意见最多 {COMMENT_MAX} 个字")])
    token = HiddenField()
