/** @jsxImportSource hono/jsx */
// The board's pages, server-rendered with Hono's JSX: pure functions of the data (src/board/data.ts) and the viewer.
// Charts are inline SVG; the only script is /board/assets/board.js. Chinese first.
import type { Child } from 'hono/jsx';
import type { Actor } from '../domain/actor.js';
import { ROLE_ZH } from '../domain/permissions.js';
import { formatDateZh } from '../domain/dates.js';
import { COMPARATOR_ZH, formatMetricAmount, metricWhenZh } from '../domain/metric-value.js';
import { LIGHT_ZH, type Light } from '../domain/status.js';
import { STATUS_WORDS, type LightCounts, type UnitStats } from '../domain/stats.js';
import { CSS_VERSION, JS_VERSION } from './assets.js';
import { LIGHT_FILTERS, type BoardQuery, type BoardView, type TaskView } from './data.js';

const ROLE_OF_ASG: Record<string, string> = { lead: '牵头', co: '配合' };
const REPORT_KIND_ZH: Record<string, string> = {
  progress: '报告进度',
  done_claim: '申报完成',
  no_change: '无新进展',
  return: '退回',
  close: '销号',
  note: '备注',
  extension: '延期',
};
const CHANNEL_ZH: Record<string, string> = { chat: '聊天', reply: '回复', card: '卡片', cli: '命令行', import: '导入', system: '系统' };
const EXT_STATUS_ZH: Record<string, string> = { pending: '待审批', approved: '已批准', rejected: '已驳回' };

/** "2022-07-05 14:30" in Asia/Shanghai. */
function instantZh(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** A board address with the given filters (empty ones left out). */
export function boardHref(q: BoardQuery, path = '/board'): string {
  const p = new URLSearchParams();
  if (q.at) p.set('at', q.at);
  if (q.chapter !== undefined) p.set('chapter', String(q.chapter));
  if (q.unitId !== undefined) p.set('unit', String(q.unitId));
  if (q.status) p.set('status', q.status);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

const taskHref = (code: string, at?: string) => `/board/task/${encodeURIComponent(code)}${at ? `?at=${at}` : ''}`;

export function Layout(props: { title: string; viewer?: Actor | null; children?: Child }) {
  const v = props.viewer;
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        <link rel="stylesheet" href={`/board/assets/board.css?v=${CSS_VERSION}`} />
      </head>
      <body>
        <header class="top">
          <h1>
            <a href="/board" style="color:#fff">督办看板</a>
          </h1>
          {v ? (
            <span class="who">
              {v.name ?? '已登录'}（{v.roles.map((r) => ROLE_ZH[r]).join('、')}）{' '}
              <form method="post" action="/board/logout">
                <button type="submit">退出</button>
              </form>
            </span>
          ) : null}
        </header>
        <main>{props.children}</main>
        <script src={`/board/assets/board.js?v=${JS_VERSION}`} defer></script>
      </body>
    </html>
  );
}

/** Without a session: how to get in, and no data. */
export function GatePage(props: { error?: string; larkLogin: boolean }) {
  return (
    <Layout title="督办看板：请先登录">
      <div class="gate">
        <h1>督办看板</h1>
        {props.error ? <p class="err">{props.error}</p> : null}
        <p>看板只对已绑定的办公室、领导和单位联络员开放。进入方法：</p>
        <ol>
          <li>
            在飞书中给督办机器人发送「<b>看板</b>」（英文 <code>board</code>），机器人会回复一个只属于你的登录链接；
          </li>
          <li>在飞书中点开该链接即可进入，链接几分钟内有效，且只能使用一次。</li>
        </ol>
        {props.larkLogin ? (
          <p>
            或者：<a class="btn" href="/board/auth/lark">使用飞书账号登录</a>
          </p>
        ) : null}
        <p class="muted small">还没有绑定单位？给机器人发送「绑定 单位名称」申请，办公室批准后即可使用。</p>
      </div>
    </Layout>
  );
}

/** The link's landing page: a POST uses the link, so a link preview fetching the URL cannot use it up. */
export function LinkLandingPage(props: { token: string }) {
  return (
    <Layout title="督办看板：正在进入">
      <div class="gate">
        <h1>正在进入督办看板…</h1>
        <form id="go" method="post" action="/board/login" data-auto="1">
          <input type="hidden" name="t" value={props.token} />
          <button class="btn" type="submit">进入看板</button>
        </form>
        <p class="muted small">如果没有自动跳转，请点击“进入看板”。</p>
      </div>
    </Layout>
  );
}

export function MessagePage(props: { title: string; message: string; viewer?: Actor | null; back?: string }) {
  return (
    <Layout title={props.title} viewer={props.viewer}>
      <div class="gate">
        <h1>{props.title}</h1>
        <p class="err">{props.message}</p>
        {props.back ? (
          <p>
            <a href={props.back}>返回看板</a>
          </p>
        ) : null}
      </div>
    </Layout>
  );
}

// ---- charts ------------------------------------------------------------------------------------------------------

const LIGHT_FILL: Record<Light, string> = { red: '#d93025', yellow: '#f6c343', green: '#7cc68d' };

function LightsBar(props: { lights: LightCounts }) {
  const l = props.lights;
  const total = l.red + l.yellow + l.green;
  if (total === 0) return <p class="empty">暂无责任分工。</p>;
  let x = 0;
  const parts = (['red', 'yellow', 'green'] as Light[]).map((k) => {
    const w = (l[k] / total) * 100;
    const r = <rect x={`${x}%`} y="0" width={`${w}%`} height="18" fill={LIGHT_FILL[k]} />;
    x += w;
    return r;
  });
  return (
    <svg width="100%" height="18" role="img" aria-label={`红灯 ${l.red}，黄灯 ${l.yellow}，绿灯 ${l.green}`} style="display:block;border-radius:4px">
      {parts}
    </svg>
  );
}

/** Horizontal bars: a label, a value 0–100 and a note on the right. */
function Bars(props: { rows: Array<{ label: string; value: number; note: string; light?: Light | null; href?: string }> }) {
  const rowH = 24;
  const labelW = 86;
  const h = props.rows.length * rowH;
  return (
    <svg width="100%" height={h} viewBox={`0 0 400 ${h}`} preserveAspectRatio="none" role="img" aria-label="柱状图" style="display:block">
      {props.rows.map((r, i) => {
        const y = i * rowH;
        const w = Math.max(0, Math.min(100, r.value)) * 2.2;
        const bar = (
          <g>
            <text x="0" y={y + 16} font-size="12" fill="#1f2329">
              {r.label}
            </text>
            <rect x={labelW} y={y + 5} width="220" height="14" fill="#eef0f3" rx="2" />
            <rect x={labelW} y={y + 5} width={w} height="14" fill={r.light ? LIGHT_FILL[r.light] : '#3370ff'} rx="2" />
            <text x={labelW + 226} y={y + 16} font-size="12" fill="#646a73">
              {r.note}
            </text>
          </g>
        );
        return r.href ? <a href={r.href}>{bar}</a> : bar;
      })}
    </svg>
  );
}

function Trend(props: { points: BoardView['trend'] }) {
  const pts = props.points;
  if (pts.length < 2) return null;
  const w = 400;
  const h = 90;
  const max = Math.max(100, ...pts.map((p) => p.closedRate));
  const xy = pts.map((p, i) => [20 + (i * (w - 40)) / (pts.length - 1), h - 20 - (p.closedRate / max) * (h - 35)] as const);
  return (
    <svg width="100%" height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label="完成率周趋势" style="display:block">
      <polyline points={xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')} fill="none" stroke="#3370ff" stroke-width="2" />
      {xy.map(([x, y], i) => (
        <g>
          <circle cx={x} cy={y} r="3" fill="#3370ff" />
          <text x={x} y={y - 6} font-size="10" text-anchor="middle" fill="#1f2329">
            {pts[i]!.closedRate}%
          </text>
          <text x={x} y={h - 4} font-size="10" text-anchor="middle" fill="#646a73">
            {pts[i]!.weekKey.slice(5)}
          </text>
        </g>
      ))}
    </svg>
  );
}

// ---- the board -----------------------------------------------------------------------------------------------------

function Delta(props: { n: number | undefined; unit?: string; goodWhenUp?: boolean }) {
  if (props.n === undefined) return null;
  const n = props.n;
  if (n === 0) return <span class="delta flat">持平</span>;
  const good = props.goodWhenUp ? n > 0 : n < 0;
  return (
    <span class={`delta ${good ? 'good' : 'bad'}`} title="较上周周报">
      {n > 0 ? '↑' : '↓'}
      {Math.abs(Math.round(n * 10) / 10)}
      {props.unit ?? ''}
    </span>
  );
}

function Filters(props: { view: BoardView }) {
  const { view } = props;
  const q = view.query;
  const active = [
    q.chapter !== undefined ? view.chapters.find((c) => c.number === q.chapter)?.short : null,
    q.unitId !== undefined ? view.unitChoices.find((u) => u.id === q.unitId)?.name : null,
    q.status ? (LIGHT_ZH[q.status as Light] ?? q.status) : null,
    q.at ? q.at : null,
  ].filter(Boolean);
  return (
    <details class="filter-box">
      <summary>筛选：{active.length ? active.join('、') : '篇章 · 单位 · 状态 · 日期'}（点此展开）</summary>
    <form class="filters" method="get" action="/board">
      <label>
        篇章
        <select name="chapter">
          <option value="">全部篇章</option>
          {view.chapters.map((c) => (
            <option value={String(c.number)} selected={q.chapter === c.number}>
              {c.number}. {c.short}
            </option>
          ))}
        </select>
      </label>
      <label>
        单位
        <select name="unit">
          <option value="">{view.scope.all ? '全部单位' : '本单位全部'}</option>
          {view.unitChoices.map((u) => (
            <option value={String(u.id)} selected={q.unitId === u.id}>
              {u.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        状态
        <select name="status">
          <option value="">全部状态</option>
          {LIGHT_FILTERS.map((l) => (
            <option value={l} selected={q.status === l}>
              {LIGHT_ZH[l]}
            </option>
          ))}
          {STATUS_WORDS.map((w) => (
            <option value={w} selected={q.status === w}>
              {w}
            </option>
          ))}
        </select>
      </label>
      <label>
        截至日期
        <input type="date" name="at" value={q.at ?? ''} />
      </label>
      <button class="go" type="submit">
        筛选
      </button>
      {q.at || q.chapter !== undefined || q.unitId !== undefined || q.status ? (
        <a class="reset" href="/board">
          清除筛选
        </a>
      ) : null}
    </form>
    </details>
  );
}

function Matrix(props: { view: BoardView }) {
  const { view } = props;
  const chapters = view.query.chapter !== undefined ? view.chapters.filter((c) => c.number === view.query.chapter) : view.chapters;
  const idx = chapters.map((c) => view.chapters.indexOf(c));
  if (view.matrix.length === 0) return <p class="empty">没有符合条件的责任分工。</p>;
  const counties = view.matrix.filter((r) => r.kind === 'county');
  const others = view.matrix.filter((r) => r.kind !== 'county');
  const row = (r: BoardView['matrix'][number]) => (
    <tr>
      <td class="unit">
        <a href={boardHref({ ...view.query, unitId: r.unitId, chapter: undefined })}>{r.name}</a>
      </td>
      {idx.map((i, j) => {
        const cell = r.cells[i];
        const ch = chapters[j]!;
        if (!cell) return <td class="c-none">·</td>;
        const l = cell.lights;
        const title = `${r.name} · 第${ch.number}章 ${ch.short}：分工 ${cell.assignments}，红 ${l.red} 黄 ${l.yellow} 绿 ${l.green}，已销号 ${cell.byStatus['已销号']}`;
        const text = cell.light === 'red' ? `红${l.red}` : cell.light === 'yellow' ? `黄${l.yellow}` : `${cell.assignments}`;
        return (
          <td class={`c-${cell.light ?? 'none'}`} title={title} data-light={cell.light ?? ''}>
            <a href={boardHref({ ...view.query, unitId: r.unitId, chapter: ch.number })}>
              {text}
              {cell.light !== 'green' ? <span class="den">/{cell.assignments}</span> : null}
            </a>
          </td>
        );
      })}
      <td class="tot">
        {r.total ? (
          <>
            {r.total.completion.closedRate}% ·{' '}
            {r.total.lights.red > 0 ? <span style="color:#d93025;font-weight:600">红{r.total.lights.red}</span> : <span>红0</span>}
          </>
        ) : null}
      </td>
    </tr>
  );
  return (
    <>
      <div class="legend">
        <span>
          <i style="background:#d93025"></i>有逾期（红灯数<span class="ld">/分工数</span>）
        </span>
        <span>
          <i style="background:#f6c343"></i>14 天内到期（黄灯数<span class="ld">/分工数</span>）
        </span>
        <span>
          <i style="background:#7cc68d"></i>正常（分工数）
        </span>
        <span>
          <i style="background:#f2f3f5"></i>无任务
        </span>
      </div>
      <div class="scroll">
        <table class="matrix" id="matrix">
          <thead>
            <tr>
              <th class="unit">单位 \ 篇章</th>
              {chapters.map((c) => (
                <th class="ch" title={c.title}>
                  <a href={boardHref({ ...view.query, chapter: c.number })}>
                    {c.number}
                    <br />
                    {c.short}
                  </a>
                </th>
              ))}
              <th class="ch tot-h">完成率 · 红灯</th>
            </tr>
          </thead>
          <tbody>
            {counties.length ? (
              <tr class="group">
                <td colspan={chapters.length + 2}>县区</td>
              </tr>
            ) : null}
            {counties.map(row)}
            {others.length ? (
              <tr class="group">
                <td colspan={chapters.length + 2}>市直部门及其他单位</td>
              </tr>
            ) : null}
            {others.map(row)}
          </tbody>
        </table>
      </div>
    </>
  );
}

const MAX_LIST = 150;

function AssignmentTable(props: { rows: BoardView['list']; at?: string }) {
  const rows = props.rows.slice(0, MAX_LIST);
  if (rows.length === 0) return <p class="empty">没有符合条件的责任分工。</p>;
  return (
    <>
      <div class="scroll">
        <table class="list">
          <thead>
            <tr>
              <th>任务</th>
              <th>单位</th>
              <th>状态</th>
              <th class="num">进度</th>
              <th class="hide-m">期限</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <td>
                  <a href={taskHref(r.taskCode, props.at)}>
                    {r.taskCode} {r.taskTitle}
                  </a>
                </td>
                <td>
                  {r.unitName}
                  <span class="muted small">（{ROLE_OF_ASG[r.role] ?? r.role}）</span>
                </td>
                <td>
                  <span class={`tag ${r.light}`}>{r.statusWord}</span>
                </td>
                <td class="num">{r.percent}%</td>
                <td class="hide-m">{r.dueLabel ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.rows.length > MAX_LIST ? <p class="more">只列出前 {MAX_LIST} 项（共 {props.rows.length} 项，红灯在前），请用上方筛选缩小范围。</p> : null}
    </>
  );
}

export function BoardPage(props: { view: BoardView; viewer: Actor }) {
  const { view, viewer } = props;
  const s = view.stats;
  const d = view.deltas;
  const at = view.query.at;
  const year = Number(view.today.slice(0, 4));
  const rankRows = view.countyRanking.map((u: UnitStats, i) => ({
    label: `${i + 1}. ${u.label}`,
    value: u.completion.closedRate,
    note: `${u.completion.closedRate}% 红${u.lights.red}`,
    light: (u.lights.red > 0 ? 'red' : u.lights.yellow > 0 ? 'yellow' : 'green') as Light,
    href: boardHref({ ...view.query, unitId: u.unitId }),
  }));
  const scopeLabel = view.scope.all ? '全部单位' : `本单位：${view.unitChoices.map((u) => u.name).join('、')}`;
  return (
    <Layout title={`督办看板 · ${view.planTitle}`} viewer={viewer}>
      <p class="muted small" style="margin:0 0 8px">
        {view.planTitle} ｜ 截至 {formatDateZh(view.today)} ｜ {scopeLabel}
      </p>
      {at && at !== view.realToday ? (
        <div class="banner">
          正在查看 {formatDateZh(at)} 的看板：期限和红黄绿灯按该日期计算，进度为目前已报送的进度。<a href="/board">回到今天</a>
        </div>
      ) : null}
      <Filters view={view} />
      <div class="grid">
        <section class="card span12" id="overview">
          <h2>
            总体情况<small>{d ? `箭头为较 ${formatDateZh(d.since, year)} 周报的变化` : ''}</small>
          </h2>
          <div class="kpis">
            <div class="kpi">
              <b data-k="tasks">{s.tasks.total}</b>
              <span>任务</span>
            </div>
            <div class="kpi">
              <b data-k="assignments">{s.assignments.total}</b>
              <span>责任分工</span>
            </div>
            <div class="kpi">
              <b data-k="closedRate">{s.completion.closedRate}%</b>
              <span>
                完成率（含待核验 {s.completion.doneRate}%）
                <Delta n={d?.closedRate} unit="个百分点" goodWhenUp />
              </span>
            </div>
            <div class="kpi red">
              <b data-k="red">{s.lights.red}</b>
              <span>
                红灯（逾期）
                <Delta n={d?.lights.red} />
              </span>
            </div>
            <div class="kpi yellow">
              <b data-k="yellow">{s.lights.yellow}</b>
              <span>
                黄灯（14 天内到期）
                <Delta n={d?.lights.yellow} />
              </span>
            </div>
            <div class="kpi green">
              <b data-k="green">{s.lights.green}</b>
              <span>
                绿灯
                <Delta n={d?.lights.green} goodWhenUp />
              </span>
            </div>
          </div>
          <div style="margin-top:10px">
            <LightsBar lights={s.lights} />
          </div>
          <p class="status-line" data-k="byStatus">
            任务：{STATUS_WORDS.map((w) => `${w} ${s.tasks.byStatus[w]}`).join(' · ')}
            <br />
            责任分工：{STATUS_WORDS.map((w) => `${w} ${s.assignments.byStatus[w]}`).join(' · ')}
          </p>
        </section>

        <section class="card span12" id="matrix-card">
          <h2>
            {view.scope.all ? '县区和部门 × 篇章' : '本单位 × 篇章'}
            <small>点格子查看该单位该篇章的任务</small>
          </h2>
          <Matrix view={view} />
        </section>

        <section class="card span6" id="overdue">
          <h2>
            逾期<small>{s.overdue.length} 项，逾期最久的在前</small>
          </h2>
          {s.overdue.length === 0 ? (
            <p class="empty">没有逾期事项。</p>
          ) : (
            <div class="scroll">
              <table class="list">
                <thead>
                  <tr>
                    <th>单位</th>
                    <th>任务</th>
                    <th class="num">逾期</th>
                    <th class="hide-m">催办</th>
                  </tr>
                </thead>
                <tbody>
                  {s.overdue.slice(0, 60).map((o) => (
                    <tr>
                      <td>{o.unitName}</td>
                      <td>
                        <a href={taskHref(o.taskCode, at)}>
                          {o.taskCode} {o.taskTitle}
                        </a>
                        <div class="muted small">
                          {formatDateZh(o.dueDate, year)}到期 · 进度 {o.percent}%
                        </div>
                      </td>
                      <td class="num" style="color:#d93025">
                        {o.daysOverdue} 天
                      </td>
                      <td class="hide-m small">{o.escalationStep}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {s.overdue.length > 60 ? <p class="more">另有 {s.overdue.length - 60} 项，请按单位或篇章筛选。</p> : null}
            </div>
          )}
        </section>

        <section class="card span6" id="due-soon">
          <h2>
            今后 14 天到期<small>{s.dueSoon.length} 项</small>
          </h2>
          {s.dueSoon.length === 0 ? (
            <p class="empty">今后 14 天没有未完成的到期事项。</p>
          ) : (
            <div class="scroll">
              <table class="list">
                <thead>
                  <tr>
                    <th>到期</th>
                    <th>单位</th>
                    <th>任务</th>
                    <th class="num">进度</th>
                  </tr>
                </thead>
                <tbody>
                  {s.dueSoon.slice(0, 60).map((x) => (
                    <tr>
                      <td style="white-space:nowrap">
                        {formatDateZh(x.dueDate, year)}
                        <div class="muted small">{x.daysLeft === 0 ? '今天' : `还有 ${x.daysLeft} 天`}</div>
                      </td>
                      <td>{x.unitName}</td>
                      <td>
                        <a href={taskHref(x.taskCode, at)}>
                          {x.taskCode} {x.taskTitle}
                        </a>
                      </td>
                      <td class="num">{x.percent}%</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {s.dueSoon.length > 60 ? <p class="more">另有 {s.dueSoon.length - 60} 项，请按单位或篇章筛选。</p> : null}
            </div>
          )}
        </section>

        {rankRows.length > 0 ? (
          <section class="card span6" id="county-ranking">
            <h2>
              县区排名<small>按完成率（已销号 ÷ 分工），红灯少者在前</small>
            </h2>
            <Bars rows={rankRows} />
          </section>
        ) : null}

        <section class="card span6" id="chapters">
          <h2>
            各篇章完成率<small>已销号 ÷ 分工</small>
          </h2>
          {s.chapters.length ? (
            <Bars
              rows={s.chapters.map((c) => ({
                label: `${c.number}. ${c.label}`,
                value: c.completion.closedRate,
                note: `${c.completion.closedRate}% 红${c.lights.red}${d && d.chapters[c.number] !== undefined && d.chapters[c.number] !== 0 ? ` ${d.chapters[c.number]! > 0 ? '↑' : '↓'}${Math.abs(d.chapters[c.number]!)}` : ''}`,
                light: c.lights.red > 0 ? 'red' : c.lights.yellow > 0 ? 'yellow' : 'green',
                href: boardHref({ ...view.query, chapter: c.number }),
              }))}
            />
          ) : (
            <p class="empty">暂无数据。</p>
          )}
        </section>

        {s.targets.length > 0 ? (
          <section class="card span6" id="targets">
            <h2>目标指标</h2>
            <div class="scroll">
              <table class="list">
                <thead>
                  <tr>
                    <th>指标</th>
                    <th class="num">目标</th>
                    <th class="num">最新值</th>
                    <th>状态</th>
                  </tr>
                </thead>
                <tbody>
                  {s.targets.map((t) => (
                    <tr>
                      <td>
                        {t.indicator}
                        <span class="muted small">（{t.year} 年）</span>
                      </td>
                      <td class="num">
                        {COMPARATOR_ZH[t.comparator] ?? t.comparator} {formatMetricAmount(t.value, t.unit)}
                      </td>
                      <td class="num">
                        {t.latest ? (
                          <>
                            {formatMetricAmount(t.latest.value, t.unit)}
                            <div class="muted small">{metricWhenZh(t.latest)}</div>
                          </>
                        ) : (
                          '—'
                        )}
                      </td>
                      <td>
                        <span class={`tag ${t.status === 'met' ? 'green' : t.status === 'not_met' ? 'red' : ''}`}>
                          {t.status === 'met' ? '达标' : t.status === 'not_met' ? '未达标' : '暂无数据'}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        ) : null}

        {view.trend.length >= 2 ? (
          <section class="card span6" id="trend">
            <h2>
              周报完成率走势<small>来自已发送的周报</small>
            </h2>
            <Trend points={view.trend} />
          </section>
        ) : null}

        <section class="card span12" id="assignments">
          <h2>
            责任分工清单<small>{view.list.length} 项，红灯在前；点任务查看详情和进展记录</small>
          </h2>
          <AssignmentTable rows={view.list} at={at} />
        </section>
      </div>
      <p class="muted small">
        数字与机器人「统计」「逾期」「临期」和周报同源。
      </p>
    </Layout>
  );
}

// ---- the task page ---------------------------------------------------------------------------------------------------

export function TaskPage(props: { view: TaskView; viewer: Actor; at?: string }) {
  const { view, viewer, at } = props;
  const t = view.task;
  return (
    <Layout title={`${t.code} ${t.title} · 督办看板`} viewer={viewer}>
      <p class="small" style="margin:0 0 8px">
        <a href={at ? `/board?at=${at}` : '/board'}>← 返回看板</a> ｜ {t.chapterTitle} ｜ 截至 {formatDateZh(view.today)}
      </p>
      {at && at !== view.realToday ? (
        <div class="banner">
          正在查看 {formatDateZh(at)} 的情况：期限和状态按该日期计算，进度为目前已报送的进度。<a href={`/board/task/${encodeURIComponent(t.code)}`}>回到今天</a>
        </div>
      ) : null}
      <div class="grid">
        <section class="card span12" id="task">
          <h2>
            {t.code} {t.title}
          </h2>
          <p style="margin:0 0 8px" id="task-status">
            任务状态 <span class={`tag ${view.status.light}`} data-k="task-status">{view.status.word}</span>{' '}
            <span class="muted small">
              {view.hiddenAssignments ? '（按你可查看的分工汇总）' : '（按全部责任单位汇总：任一单位逾期即为逾期，全部销号才算销号）'}
            </span>
          </p>
          <pre class="task-text">{t.sourceText}</pre>
          {t.note ? <p class="muted small">备注：{t.note}</p> : null}
          <h3 style="font-size:14px;margin:12px 0 4px">期限</h3>
          {view.deadlines.length ? (
            <ul style="margin:0;padding-left:18px">
              {view.deadlines.map((dl) => (
                <li>
                  {dl.label}
                  {dl.dueDate ? <span class="muted small">（{dl.dueDate}）</span> : null}
                  {dl.what ? `：${dl.what}` : ''}
                </li>
              ))}
            </ul>
          ) : (
            <p class="empty">方案未写明期限。</p>
          )}
        </section>
        <section class="card span12" id="task-assignments">
          <h2>
            责任单位<small>{view.assignments.length} 个{view.hiddenAssignments ? `（另有 ${view.hiddenAssignments} 个其他单位的分工不在你的查看范围内）` : ''}</small>
          </h2>
          {view.assignments.map((a) => (
            <div class="asg" id={`asg-${a.assignmentId}`}>
              <h3>
                <span class={`dot ${a.light}`}></span>
                {a.unitName}
                <span class="muted small">（{ROLE_OF_ASG[a.role] ?? a.role}）</span> <span class={`tag ${a.light}`}>{a.statusWord}</span>{' '}
                <span class="small">进度 {a.percent}%</span>
              </h3>
              <p class="small muted" style="margin:0">
                当前期限：{a.dueLabel ?? '无'}
                {a.dueDate ? `（${a.dueDate}）` : ''}
                {a.extendedTo ? ` ｜ 已批准延期至 ${a.extendedTo}` : ''}
                {a.lastReportAt ? ` ｜ 最近报送 ${instantZh(a.lastReportAt)}` : ' ｜ 尚未报送'}
              </p>
              {a.history.length ? (
                <ol class="history">
                  {a.history.map((h) => (
                    <li>
                      <span class="muted small">{instantZh(h.at)}</span> {h.by ?? ''} {REPORT_KIND_ZH[h.kind] ?? h.kind}
                      {h.percent !== null ? ` ${h.percent}%` : ''}
                      {h.note ? `：${h.note}` : ''} <span class="muted small">（{CHANNEL_ZH[h.channel] ?? h.channel}）</span>
                    </li>
                  ))}
                </ol>
              ) : (
                <p class="empty small">还没有进展记录。</p>
              )}
              {a.extensions.length ? (
                <p class="small">
                  延期申请：
                  {a.extensions.map((e) => `${instantZh(e.at).slice(0, 10)} 申请延至 ${e.newDueDate}（${e.reason}）${EXT_STATUS_ZH[e.status] ?? e.status}${e.decisionNote ? `：${e.decisionNote}` : ''}`).join('；')}
                </p>
              ) : null}
              {a.evidence.length ? (
                <div class="evidence">
                  <b class="small">佐证材料：</b>
                  <ul style="margin:2px 0;padding-left:18px">
                    {a.evidence.map((e) => (
                      <li class="small">
                        {e.url && (/^https?:\/\//i.test(e.url) || /^\/evidence\/\d+$/.test(e.url)) ? (
                          <a href={e.url} rel="noopener noreferrer" target="_blank">
                            {e.name}
                          </a>
                        ) : (
                          e.name
                        )}{' '}
                        <span class="muted">
                          {instantZh(e.at)} {e.by ?? ''}
                        </span>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </div>
          ))}
        </section>
      </div>
    </Layout>
  );
}
