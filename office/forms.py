from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired("请输入用户名")],
                           render_kw={"autocomplete": "username", "maxlength": 40})
    password = PasswordField("密码", validators=[InputRequired("请输入密码")],
                             render_kw={"autocomplete": "current-password", "maxlength": 128})


class AccountForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired("请填写用户名")], render_kw={"maxlength": 40})
    name = StringField("姓名", validators=[InputRequired("请填写姓名")], render_kw={"maxlength": 40})
    # Choices are checked by services.staff.create_account, with messages in Chinese.
    role = SelectField("角色", choices=[], validate_choice=False)
    township_id = SelectField("所属乡镇（窗口人员）", choices=[], coerce=str, validate_choice=False)
    department = SelectField("所属部门（审批人员）", choices=[], coerce=str, validate_choice=False)
    password = PasswordField("初始密码", validators=[InputRequired("请设置初始密码")],
                             render_kw={"autocomplete": "new-password", "maxlength": 128})


class CalendarForm(FlaskForm):
    year = StringField("年份", validators=[InputRequired("请填写年份")], render_kw={"inputmode": "numeric", "maxlength": 4})
    source = StringField("依据（通知文号）", validators=[InputRequired("请填写通知文号")], render_kw={"maxlength": 200})
    arrangement = TextAreaField("放假和调休安排", validators=[InputRequired("请粘贴放假安排")])
