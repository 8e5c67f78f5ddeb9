//! The Queues view and the figures behind a check's charts: every queue of every broker with
//! a sparkline of its depth, and a series' depth, rates, age or value over a window.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Api, ApiError};
use crate::engine::{CheckView, EngineError};
use crate::store::FigurePoint;
use crate::time_fmt;

/// How far back a chart of figures reaches.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, PartialEq, Eq)]
pub enum FigureWindow {
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "6h")]
    SixHours,
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
}

impl FigureWindow {
    fn millis(self) -> i64 {
        const HOUR: i64 = 3_600_000;
        match self {
            FigureWindow::Hour => HOUR,
            FigureWindow::SixHours => 6 * HOUR,
            FigureWindow::Day => 24 * HOUR,
            FigureWindow::Week => 7 * 24 * HOUR,
            FigureWindow::Month => 30 * 24 * HOUR,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FigureHistory {
    pub id: String,
    pub window: FigureWindow,
    /// Spacing of the points: 0 for every raw result, else the bucket length.
    #[ts(type = "number")]
    pub bucket_seconds: i64,
    pub points: Vec<FigurePoint>,
}

/// One row of the Queues view.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct QueueRow {
    pub check: CheckView,
    /// Depth over the last hour, oldest first, at most [`SPARK_POINTS`] points.
    pub sparkline: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct QueueList {
    pub queues: Vec<QueueRow>,
}

/// Points of a sparkline: enough for its few dozen pixels.
pub const SPARK_POINTS: usize = 60;
const SPARK_WINDOW_MS: i64 = 3_600_000;

impl Api {
    pub async fn figures(&self, id: &str, window: FigureWindow) -> Result<FigureHistory, ApiError> {
        if self.engine.view(id).is_none() {
            return Err(EngineError::NotFound(id.to_string()).into());
        }
        let (bucket_seconds, points) = self
            .engine
            .store()
            .figures(id, window.millis(), time_fmt::now_ms())
            .await?;
        Ok(FigureHistory {
            id: id.to_string(),
            window,
            bucket_seconds,
            points,
        })
    }

    /// Every queue the RabbitMQ checks report, with its recent depth.
    pub async fn queues(&self) -> Result<QueueList, ApiError> {
        let views: Vec<CheckView> = self
            .engine
            .views()
            .into_iter()
            .filter(|v| v.check_type == "rabbitmq")
            .collect();
        let ids: Vec<String> = views.iter().map(|v| v.id.clone()).collect();
        let mut values = self
            .engine
            .store()
            .recent_values(&ids, time_fmt::now_ms() - SPARK_WINDOW_MS)
            .await?;
        let queues = views
            .into_iter()
            .map(|check| {
                let sparkline = thin(values.remove(&check.id).unwrap_or_default(), SPARK_POINTS);
                QueueRow { check, sparkline }
            })
            .collect();
        Ok(QueueList { queues })
    }
}

/// At most `n` points, keeping the shape: the highest value of each stretch, so a spike
/// does not vanish between two samples.
fn thin(values: Vec<f64>, n: usize) -> Vec<f64> {
    if values.len() <= n {
        return values;
    }
    let per = values.len().div_ceil(n);
    values
        .chunks(per)
        .map(|c| c.iter().copied().fold(f64::MIN, f64::max))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_spikes() {
        let mut v = vec![1.0; 120];
        v[61] = 50.0;
        let t = thin(v, 60);
        assert_eq!(t.len(), 60);
        assert_eq!(t[30], 50.0);
        assert_eq!(thin(vec![1.0, 2.0], 60), vec![1.0, 2.0]);
    }
}
