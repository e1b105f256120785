"""gunicorn's settings for the portal (read from the working directory, /app in the image).

The access log names the path only: no query string (an admin search, ?q=, may be an ID number or a
phone), no Referer (it carries the previous page's query string), no Basic-auth user. Method, path,
status, size and duration are what the log is for; the proxy in front records the client.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
