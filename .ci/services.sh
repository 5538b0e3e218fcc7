#!/usr/bin/env bash
# Starts MariaDB and PostgreSQL if they are down (the commands this machine kind documents) and
# waits until both accept connections.
set -u

mysql_up() { mysqladmin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1; }
pg_up() { pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }

if ! mysql_up; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
if ! pg_up; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi

for _ in $(seq 1 60); do
  if mysql_up && pg_up; then
    mysql --protocol=tcp -h127.0.0.1 -uroot -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null 2>&1
    psql -h 127.0.0.1 -U postgres -d postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 ||
      psql -h 127.0.0.1 -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null 2>&1
    # Members of windowed_password_login must give their password (the secret-rotation tests need a
    # refused login, 28P01); every other login stays trusted.
    hba="$(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SHOW hba_file' 2>/dev/null)"
    if [ -n "$hba" ] && ! grep -q windowed_password_login "$hba"; then
      sed -i '0,/^host/s//host all +windowed_password_login 127.0.0.1\/32 scram-sha-256\n&/' "$hba" &&
        psql -h 127.0.0.1 -U postgres -d postgres -c 'SELECT pg_reload_conf()' >/dev/null 2>&1
    fi
    echo "MariaDB and PostgreSQL accept connections"
    exit 0
  fi
  sleep 1
done
mysql_up || echo "MariaDB did not come up on 127.0.0.1:3306"
pg_up || echo "PostgreSQL did not come up on 127.0.0.1:5432"
exit 1
