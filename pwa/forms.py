from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
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


class PhoneForm(FlaskForm):
    phone = StringField("手机号码", validators=[InputRequired("请输入手机号码")],
                        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 20})


class CodeForm(FlaskForm):
    code = StringField("短信验证码", validators=[InputRequired("请输入短信验证码")],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code",
                                  "maxlength": 8})


class RealNameForm(FlaskForm):
    name = StringField("姓名", validators=[InputRequired("请填写身份证上的姓名")],
                       render_kw={"autocomplete": "name", "maxlength": 20})
    id_number = StringField("身份证号", validators=[InputRequired("请填写 18 位身份证号")],
                            render_kw={"maxlength": 18, "autocomplete": "off"})
